--[[
  Fragment: read the common header of a cache entry (see src/redis/entry-format.ts).
  entry_header(raw) -> kind, generation, version, rest
    kind        'v' value, 'n' not-found, 'l' lease, 't' tombstone; nil when raw is not a cdc-cache entry
    generation  number
    version     string ('' when unknown)
    rest        the text after the version field ('' when none)
]]
local function entry_header(raw)
  if not raw then return nil end
  local kind, gen, version = string.match(raw, '^([vnlt])|(%d+)|([^|]*)')
  if not kind then return nil end
  local rest_start = 1 + #kind + 1 + #gen + 1 + #version + 1
  local rest = ''
  if string.sub(raw, rest_start, rest_start) == '|' then rest = string.sub(raw, rest_start + 1) end
  return kind, tonumber(gen), version, rest
end
