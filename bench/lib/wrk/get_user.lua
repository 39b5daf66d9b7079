-- GET /api/users/{id} over the ids the benchmark seeded before the run
-- (1..N, N passed after `--`), each connection walking through them in turn.
--
--   wrk -s get_user.lua http://127.0.0.1:PORT -- N

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local paths = {}
local next_index = 1

function init(args)
  local count = tonumber(args[1])
  if count == nil or count < 1 then
    error("get_user.lua needs the number of seeded users after `--`")
  end
  for id = 1, count do
    paths[id] = wrk.format("GET", "/api/users/" .. id)
  end
end

function request()
  local req = paths[next_index]
  next_index = next_index % #paths + 1
  return req
end
