--[[
  Worker truncate (a generation bump): every entry of the entity filled before reads as a miss.
  Input:  KEYS[1] generation key of the entity     KEYS[2] its truncation key     KEYS[3] its generation memory
          (all three share the generation key's hash tag: one slot)
          ARGV[1] the truncate's version ('' when unknown: the truncation key is left as it is)
          ARGV[2] the new random generation
          ARGV[3] generation memory ttl ms (the worker's version memory window, at least the entity's maxReplicaLag)
          ARGV[4] the truncate's PostgreSQL transaction id ('' when it has none)
  Output: 1
  The truncation key keeps the newest truncate version for good, so a late refresh from before the truncate
  is turned into a tombstone. The generation memory remembers the truncate like a change applied to every key
  of the entity (version, time, transaction; see version-memory.lua): the SDK reads it with each lease, so a
  fill read from a replica that has not replayed the truncate is not cached. Both are written BEFORE the
  generation: a reader that sees the new generation reads them too.
]]
--@include entry-header
--@include compare-versions
--@include version-memory
local version = ARGV[1]
if version ~= '' then
  local current = redis.call('GET', KEYS[2])
  if not current or compare_versions(current, version) < 0 then redis.call('SET', KEYS[2], version) end
end
remember(KEYS[3], version, ARGV[3], redis_now_ms(), ARGV[4] or '')
redis.call('SET', KEYS[1], ARGV[2])
return 1
