-- GET of the URL given to wrk. Sends "Authorization: Bearer $CUSTODY_TOKEN" when that variable
-- is set (custodyd), and no Authorization header otherwise (nginx).
local script_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(script_dir .. "report.lua")

local token = os.getenv("CUSTODY_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = report.done
