-- POST /api/v1/evidence/{id}/versions, cycling through the evidence ids in $CUSTODY_EVIDENCE_IDS
-- (separated by commas). Each request creates a pending version of a 1 MiB PDF and returns its
-- presigned PUT URL. The file itself is never uploaded.
local script_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(script_dir .. "report.lua")

local paths = {}
for id in report.require_env("CUSTODY_EVIDENCE_IDS"):gmatch("[^,]+") do
  paths[#paths + 1] = "/api/v1/evidence/" .. id .. "/versions"
end

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. report.require_env("CUSTODY_TOKEN")
wrk.headers["Content-Type"] = "application/json"
-- sha256 and md5 of 1 MiB of zero bytes.
wrk.body = '{"file_name": "bench-report.pdf", "size": 1048576, ' ..
  '"sha256": "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58", ' ..
  '"md5": "b6d81b360a5672d80c27430f39153e2c", "media_type": "application/pdf"}'

-- wrk calls setup() once per thread, in the main Lua state. Each thread starts at another id,
-- so the threads do not move through the items in step.
local threads_set_up = 0
function setup(thread)
  thread:set("next_index", threads_set_up * 7)
  threads_set_up = threads_set_up + 1
end

function request()
  next_index = (next_index or 0) % #paths + 1
  return wrk.format(nil, paths[next_index])
end

done = report.done
