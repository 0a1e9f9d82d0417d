-- lua-workload.lua: the Lua 5.4 workload of the real-world suite: the language (tables,
-- closures, coroutines, metatables, integers and floats, patterns, utf8, goto, errors),
-- the garbage collector, and the OS through io and os: files in the work folder
-- (arg[1]), os.tmpname, io.popen and os.execute (a /bin/sh child). Output is
-- deterministic; it says "done" last.
local dir = assert(arg[1], "usage: lua lua-workload.lua WORKDIR")
local function show(...) print(...) end

-- tables, sort, closures
local t = {}
for i = 1, 1000 do t[i] = (i * 7919) % 1009 end
table.sort(t)
show("sort", t[1], t[500], t[1000], #t)
local function counter() local n = 0; return function() n = n + 1; return n end end
local c1, c2 = counter(), counter()
c1(); c1()
show("closures", c1(), c2())
show("concat", table.concat({1, 2, 3, "x"}, ","), select("#", table.unpack({1, nil, 3}, 1, 3)))

-- integers, floats, bitwise
show("math", 7 // 2, 7 % -3, 2^10, math.maxinteger, math.mininteger // -1, 3 | 5, 6 & 3, 1 << 62, ~0)
show("float", string.format("%.6f %.3e %g", math.pi, 1e300 * 10, 0.1 + 0.2), math.tointeger(3.0), 1/0, -1/0)
show("fmod", math.fmod(7, 3), math.floor(-3.5), math.ceil(-3.5), math.abs(math.mininteger))

-- strings and patterns
local s = "The quick brown fox jumps over the lazy dog"
show("gsub", s:gsub("%w+", function(w) return w:upper():sub(1, 1) .. w:sub(2) end))
show("find", s:find("brown"), s:match("(%a+) dog"), select(2, s:gsub("o", "o")))
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w:lower() end
table.sort(words)
show("gmatch", table.concat(words, " "))
show("format", string.format("%5d|%-5s|%05.1f|%q|%x", 42, "ab", 3.14159, "a\nb", 255))
show("rep", #string.rep("ab", 100000, ","), ("x"):rep(3), ("hello"):byte(1, -1))
show("pack", string.unpack("<i4", string.pack("<i4", -2)), #string.pack("z", "abc"))
show("utf8", utf8.len("h\u{e9}llo \u{1F600}"), utf8.char(72, 233, 0x1F600), utf8.codepoint("\u{e9}"))

-- metatables
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, V) end
V.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
local a, b = setmetatable({x = 1, y = 2}, V), setmetatable({x = 3, y = 4}, V)
show("meta", tostring(a + b), a + b == setmetatable({x = 4, y = 6}, V), rawequal(a, b))
local proxy = setmetatable({}, {__index = function(_, k) return k .. "!" end, __len = function() return 99 end})
show("index", proxy.foo, #proxy)

-- coroutines
local gen = coroutine.wrap(function() for i = 1, 5 do coroutine.yield(i * i) end return "end" end)
local out = {}
for _ = 1, 6 do out[#out + 1] = tostring(gen()) end
show("coroutine", table.concat(out, " "))
local co = coroutine.create(function(x) local y = coroutine.yield(x + 1); error("boom " .. y) end)
show("resume", coroutine.resume(co, 1))
show("resume2", coroutine.resume(co, 5))
show("status", coroutine.status(co))

-- errors, goto, load
show("pcall", pcall(error, {code = 7}), select(2, pcall(error, "msg", 0)))
show("xpcall", xpcall(function() local x = nil; return x.y end, function(m) return "handled" end))
do
    local i = 1
    ::top::
    i = i * 2
    if i < 100 then goto top end
    show("goto", i)
end
show("load", load("return 6 * 7")(), load("syntax error here"))

-- the garbage collector
local weak = setmetatable({}, {__mode = "k"})
for i = 1, 100 do weak[{}] = i end
collectgarbage("collect")
local left = 0
for _ in pairs(weak) do left = left + 1 end
show("gc", left)
local big = {}
for i = 1, 200000 do big[i] = {i, tostring(i)} end
show("alloc", #big, big[123456][2])
big = nil
collectgarbage("collect")

-- files
local path = dir .. "/data.txt"
local f = assert(io.open(path, "w"))
for i = 1, 5000 do f:write(i, " ", i * i, "\n") end
f:close()
local sum, lines = 0, 0
for line in io.lines(path) do
    local x, y = line:match("(%d+) (%d+)")
    sum = sum + tonumber(y); lines = lines + 1
end
show("io.lines", lines, sum)
f = assert(io.open(path, "rb"))
local all = f:read("a")
show("read", #all, f:seek("set", 10), f:read(5), f:seek("end"))
f:close()
f = assert(io.open(path, "a+"))
f:write("tail\n")
f:seek("set", 0)
show("a+", f:read("l"))
f:close()
assert(os.rename(path, dir .. "/moved.txt"))
show("rename", io.open(path) == nil, io.open(dir .. "/moved.txt") ~= nil)
show("remove", os.remove(dir .. "/moved.txt"), select(2, os.remove(dir .. "/nothing")) ~= nil)
local tmp = os.tmpname()
f = assert(io.open(tmp, "w")); f:write("tmp"); f:close()
show("tmpname", io.open(tmp):read("a"), os.remove(tmp))
show("date", os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365), os.time({year = 2020, month = 1, day = 1, hour = 12}) > 0)
show("getenv", os.getenv("NO_SUCH_VARIABLE"), type(os.clock()))

-- processes
local p = assert(io.popen("echo popen; echo line2"))
show("popen", p:read("l"), p:read("l"), p:close())
local w = assert(io.popen("wc -c > " .. dir .. "/wc.txt", "w"))
w:write(string.rep("z", 12345)); w:close()
show("popen w", io.open(dir .. "/wc.txt"):read("n"))
show("execute", os.execute("exit 3"))
show("execute", os.execute("true"))
print("done")
