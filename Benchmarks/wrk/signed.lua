-- wrk script: replays pre-signed Standard Webhooks requests (wrk's Lua cannot compute an HMAC).
-- Each wrk thread reads its own file, $HOOKLINE_REQUESTS/requests-<thread>.bin, written by
-- `hookline-bench sign-requests`: raw HTTP/1.1 requests, each preceded by its length on a line.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  requests = {}
  local path = os.getenv("HOOKLINE_REQUESTS") .. "/requests-" .. id .. ".bin"
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  local position = 1
  while position <= #data do
    local newline = data:find("\n", position, true)
    local length = tonumber(data:sub(position, newline - 1))
    requests[#requests + 1] = data:sub(newline + 1, newline + length)
    position = newline + length + 1
  end
  index = 0
  wrapped = false
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
    wrapped = true
  end
  return requests[index]
end
