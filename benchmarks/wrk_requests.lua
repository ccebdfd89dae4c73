-- Sends pre-made requests. The file named by WRK_REQUESTS has one request per line:
-- "<path>\t<Header: value>\t<Header: value>...". With one line, every request is that one;
-- with many (signed requests, whose nonces the server accepts once), each of the WRK_THREADS
-- threads takes every n-th line and sends each line once.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

local function parse(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
  local headers = {}
  for i = 2, #fields do
    local name, value = string.match(fields[i], "^([^:]+): (.*)$")
    headers[name] = value
  end
  return wrk.format("GET", fields[1], headers)
end

function init(args)
  local threads, lines = tonumber(os.getenv("WRK_THREADS")), {}
  for line in io.lines(os.getenv("WRK_REQUESTS")) do table.insert(lines, line) end
  requests, index = {}, 0
  for n, line in ipairs(lines) do
    if #lines == 1 or (n - id) % threads == 0 then table.insert(requests, parse(line)) end
  end
end

function request()
  index = index + 1
  if index > #requests then index = 1 end  -- a signed request comes round again only if the run outlasts the file
  return requests[index]
end
