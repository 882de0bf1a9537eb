--[[
  Worker tag invalidation on standalone Redis: pop up to ARGV[1] members of a tag set and delete those
  entries in one atomic step, so an entry filled and tagged concurrently is never lost from the set.
  Input:  KEYS[1] tag set key
          ARGV[1] most members to handle in this call
  Output: the number of members handled; call again while it equals ARGV[1]
  The member keys are not passed in KEYS because nobody knows them before the call: standalone Redis
  only. On Redis Cluster the members live in other slots and the worker does this client-side.
]]
local members = redis.call('SPOP', KEYS[1], ARGV[1])
if #members > 0 then redis.call('UNLINK', unpack(members)) end
return #members
