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
  -- 1-based position of the '|' that ends the version field, if any
  local separator = #kind + 1 + #gen + 1 + #version + 1
  local rest = ''
  if string.sub(raw, separator, separator) == '|' then rest = string.sub(raw, separator + 1) end
  return kind, tonumber(gen), version, rest
end
