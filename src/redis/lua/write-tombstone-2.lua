--[[
  Worker delete with a version (a versioned tombstone): the row changed, or left the key, at a version.
  The entry is deleted (which also cancels a fill in progress) and the version is remembered, so that a
  late, older refresh or a fill read from a snapshot older than the change cannot bring the data back.
  Input:  KEYS[1] entry key                  KEYS[2] its version memory (same slot)
          ARGV[1] event version ('' = a change of unknown or incomparable version: the memory forgets
                  its version but keeps the time, for fills held off by the entity's maxReplicaLag)
          ARGV[2] memory ttl ms
          ARGV[3] the change's PostgreSQL transaction id ('' or absent when it has none)
  Output: 1 entry deleted (or nothing was there)
          0 kept: the entry holds a value or lease of this version or a newer one (written or leased after
            this change), and the memory had already counted this change's transaction
]]
--@include entry-header
--@include compare-versions
--@include version-memory
return tombstone(KEYS[1], KEYS[2], ARGV[1], ARGV[2], redis_now_ms(), ARGV[3] or '')
