--[[
  The generation (epoch) of an entity, created if missing. A generation is a random number, never a
  counter: when the key is lost (evicted, a failover, a manual DEL) the next one is new, so no entry
  written under an old generation can ever match it again (a counter restarting at 0 would bring every
  entry from before a truncate back).
  Input:  KEYS[1] generation key
          ARGV[1] a fresh random generation, used only when the key is missing
  Output: the current generation
]]
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
