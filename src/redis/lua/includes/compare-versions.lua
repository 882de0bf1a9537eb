--[[
  Fragment: compare two source versions byte-wise (see ChangeEvent.version).
  compare_versions(a, b) -> -1 when a < b, 0 when equal, 1 when a > b
  Lua's own `<` on strings uses strcoll, whose order depends on the server's locale; versions are
  defined by their byte order, so compare bytes.
]]
local function compare_versions(a, b)
  if a == b then return 0 end
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      if x < y then return -1 end
      return 1
    end
  end
  if #a < #b then return -1 end
  return 1
end
