-- POST /api/users with a new, unique email on every request: a counter per
-- wrk thread, the thread's number and a run tag (passed after `--`, so the
-- warm-up and the measured run against one server never collide with a 409).
--
--   wrk -s post_user.lua http://127.0.0.1:PORT -- TAG

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local thread_number = 0
local tag = "run"
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_id", thread_number)
end

function init(args)
  tag = args[1] or tag
end

function request()
  counter = counter + 1
  local body = string.format('{"name":"Bench User %d","email":"u%d.t%d.%s@bench.example"}',
    counter, counter, thread_id or 0, tag)
  return wrk.format("POST", "/api/users", headers, body)
end
