-- POST of the download URL given to wrk (/api/v1/evidence/{id}/versions/{vid}/download) with
-- an empty JSON object as the body. Each request returns a presigned GET URL.
local script_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(script_dir .. "report.lua")

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. report.require_env("CUSTODY_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = "{}"

done = report.done
