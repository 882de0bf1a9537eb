--[[
  Fragment: compare two source versions byte-wise (see ChangeEvent.version).
  compare_versions(a, b) -> -1 when a < b, 0 when equal, 1 when a > b
  Lua's own `<` on strings uses strcoll, whose order depends on the server's locale; versions are
  defined by their byte order, so compare bytes. Eight at a step: one string.byte call per string for
  eight bytes instead of one per byte (versions are 20 to 40 digits, and two of one stream share a long
  prefix), which is most of what comparing costs a tombstone or a refresh whose key has a memory.
]]
local function compare_versions(a, b)
  if a == b then return 0 end
  local n = math.min(#a, #b)
  local byte = string.byte
  local i = 1
  while i + 7 <= n do
    local a1, a2, a3, a4, a5, a6, a7, a8 = byte(a, i, i + 7)
    local b1, b2, b3, b4, b5, b6, b7, b8 = byte(b, i, i + 7)
    if a1 ~= b1 then return a1 < b1 and -1 or 1 end
    if a2 ~= b2 then return a2 < b2 and -1 or 1 end
    if a3 ~= b3 then return a3 < b3 and -1 or 1 end
    if a4 ~= b4 then return a4 < b4 and -1 or 1 end
    if a5 ~= b5 then return a5 < b5 and -1 or 1 end
    if a6 ~= b6 then return a6 < b6 and -1 or 1 end
    if a7 ~= b7 then return a7 < b7 and -1 or 1 end
    if a8 ~= b8 then return a8 < b8 and -1 or 1 end
    i = i + 8
  end
  for j = i, n do
    local x, y = byte(a, j), byte(b, j)
    if x ~= y then return x < y and -1 or 1 end
  end
  if #a < #b then return -1 end
  return 1
end
