//! The Lua scripts the bridge runs in Redis: each is atomic there (Redis runs one script at a
//! time), which is what makes the room's order, a nickname's claim, a private message's routing
//! and a dead host's reaping safe with any number of hosts.
//!
//! They are sent as `EVALSHA` (the 40-byte hash, not the text); [`load_all`] loads them on every
//! new connection, so that a pipeline of `EVALSHA`s finds them (a restarted Redis has forgotten
//! them).

use std::sync::LazyLock;

use redis::{Connection, RedisResult, Script};

use super::entry::{EVENTS, HOST, MAX_ENTRY_EVENTS, TO};

/// A Lua function both [`APPEND`] and [`REAP`] use, so events get their numbers in one way
/// only: the next `count` values of the room's counter, and one stream entry with the id
/// `<last>-<count>` holding their `lines` (see `entry.rs`). Returns the seq of the last.
///
/// The stream is trimmed to about `cap` events (`MINID ~`: entries whose last event is older
/// than the newest `cap` go, a macro node at a time).
///
/// Should the counter have fallen behind the stream (its key deleted by hand, or lost while the
/// stream was not), the stream refuses the id; the counter then catches up with the stream's
/// last id and the events are added after it, rather than the room being stuck.
///
/// `floor` is the last `seq` the appending host has seen: the events get higher ones even if
/// Redis lost the counter and the stream (restarted without persistence), so that the hosts'
/// readers, which go on after the last id they saw, still see what comes next.
fn append_function() -> String {
    format!(
        "local function append(seq_key, events_key, cap, host, lines, count, floor)
           local last = redis.call('INCRBY', seq_key, count)
           if last - count < floor then
             last = floor + count
             redis.call('SET', seq_key, last)
           end
           local function add()
             return redis.pcall('XADD', events_key,
                                'MINID', '~', string.format('%d', math.max(last - cap, 0)),
                                string.format('%d-%d', last, count),
                                '{HOST}', host, '{EVENTS}', lines)
           end
           local added = add()
           if type(added) == 'table' and added.err then
             local info = redis.call('XINFO', 'STREAM', events_key)
             for i = 1, #info, 2 do
               if info[i] == 'last-generated-id' then
                 last = tonumber(string.match(info[i + 1], '^(%d+)')) + count
               end
             end
             redis.call('SET', seq_key, last)
             added = add()
             if type(added) == 'table' and added.err then return redis.error_reply(added.err) end
           end
           return last
         end
"
    )
}

/// Appends a batch of events to the room's stream, in order, each once, as one entry: a host's
/// `mid`s rise, and one at or below the last this host appended (a batch sent again because the
/// answer to it was lost) is skipped. One call and one entry for the whole batch: the script's
/// own cost and the entry's (a few microseconds each) are paid once, not per event. KEYS: seq,
/// events, appended. ARGV: cap (events the stream keeps), host id, floor (the last seq the host
/// has seen), then mid and event JSON for each event (at most `MAX_ENTRY_EVENTS`). Returns each
/// event's seq, 0 for one appended before.
pub(crate) static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{}local last = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
         local lines, fresh = {{}}, {{}}
         local top = last
         for i = 4, #ARGV - 1, 2 do
           local mid = tonumber(ARGV[i])
           if mid > top then
             lines[#lines + 1] = ARGV[i] .. ' ' .. ARGV[i + 1]
             fresh[i] = true
             top = mid
           end
         end
         local seqs = {{}}
         local seq = 0
         if #lines > 0 then
           local got = append(KEYS[1], KEYS[2], tonumber(ARGV[1]), ARGV[2],
                              table.concat(lines, '\\n'), #lines, tonumber(ARGV[3]))
           if type(got) == 'table' then return got end
           seq = got - #lines
           redis.call('HSET', KEYS[3], ARGV[2], top)
         end
         for i = 4, #ARGV - 1, 2 do
           if fresh[i] then
             seq = seq + 1
             seqs[#seqs + 1] = seq
           else
             seqs[#seqs + 1] = 0
           end
         end
         return seqs",
        append_function()
    ))
});

/// A Lua function both [`CLAIM`] and [`ROSTER`] use, so the room-wide member list is read in
/// one way only: the headcount is the size of `nicks`, and the names as written are the values
/// of the `members:<host>` hash of every host in `hosts` (their keys made from the members'
/// key prefix and the host id, in the room's hash tag like the rest). Returns `{count, 0, {}}`
/// when the room has more than `up_to` members, else `{count, 1, names}` with at most `most`
/// names.
const ROSTER_FUNCTION: &str = "local function roster(nicks_key, hosts_key, prefix, up_to, most)
       local count = redis.call('HLEN', nicks_key)
       if count > tonumber(up_to) then return {count, 0, {}} end
       local names, most = {}, tonumber(most)
       for _, host in ipairs(redis.call('SMEMBERS', hosts_key)) do
         for _, name in ipairs(redis.call('HVALS', prefix .. host)) do
           if #names >= most then return {count, 1, names} end
           names[#names + 1] = name
         end
       end
       return {count, 1, names}
     end
";

/// Claims a nickname for a member of a host, unless another host's member holds it or the room
/// is full, and reads the room's roster once claimed. KEYS: nicks, members of the host, hosts.
/// ARGV: folded nickname, nickname, host id, most members (0: no limit), the roster's `up_to`
/// (negative: no roster), the members' key prefix, the roster's most names. Returns
/// `{1, host, roster}` when claimed (the roster `false`, a nil reply, when none was asked for),
/// `{0, owner, false}` when somebody holds it, `{-1, '', false}` when the room is full.
pub(crate) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{ROSTER_FUNCTION}local owner = redis.call('HGET', KEYS[1], ARGV[1])
         if owner then return {{0, owner, false}} end
         local most = tonumber(ARGV[4])
         if most > 0 and redis.call('HLEN', KEYS[1]) >= most then return {{-1, '', false}} end
         redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3])
         redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
         if tonumber(ARGV[5]) < 0 then return {{1, ARGV[3], false}} end
         return {{1, ARGV[3], roster(KEYS[1], KEYS[3], ARGV[6], ARGV[5], ARGV[7])}}"
    ))
});

/// Reads the room's roster (see [`ROSTER_FUNCTION`]). KEYS: nicks, hosts. ARGV: the members'
/// key prefix, `up_to`, most names. Returns `{count, listed, names}`.
pub(crate) static ROSTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{ROSTER_FUNCTION}return roster(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])"
    ))
});

/// Keeps the room's bans and topic for hosts starting later, if they are newer than the ones
/// kept. KEYS: state, seq. ARGV: the seq of the last event they include, their JSON. Returns 1
/// when kept, 0 when the kept ones are as new or newer.
///
/// Every host writes the state each time a ban, an unban or a topic comes back to it from the
/// stream, with that event's seq; their writes race, and the seq makes the last event win, not
/// the last write. A kept seq above the room's counter is from a room since emptied (its keys
/// deleted but this one): it is replaced, as is a key that is not a hash (a plain string, as an
/// earlier build of the unreleased shared room wrote it).
pub(crate) static SAVE_STATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local kind = redis.call('TYPE', KEYS[1]).ok
         if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', KEYS[1]) end
         local kept = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') or 0
         local counter = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
         if tonumber(ARGV[1]) <= kept and kept <= counter then return 0 end
         redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'state', ARGV[2])
         return 1",
    )
});

/// Gives a nickname up, if this host's member holds it. KEYS: nicks, members of the host.
/// ARGV: folded nickname, host id. Returns 1 when released, 0 when it was not this host's.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
         redis.call('HDEL', KEYS[1], ARGV[1])
         redis.call('HDEL', KEYS[2], ARGV[1])
         return 1",
    )
});

/// Posts a letter (a private message, an away answer) to whichever host holds its recipient's
/// nickname: adds it to that host's inbox (`MAXLEN ~` bounded). KEYS: nicks. ARGV: the
/// recipient's folded nickname, the sender's host id, the members' key prefix, the inboxes' key
/// prefix, cap, mid, the event's JSON. Returns `{1, nickname as written}` when posted, `{0, ''}` when no host holds the name,
/// or only the sender's own (a newcomer it has not admitted yet: nobody to deliver to).
///
/// The recipient's keys are made here from the host found, so they are not among KEYS; they
/// share the room's hash tag with KEYS[1], so in Redis Cluster they live in its slot.
pub(crate) static POST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "local owner = redis.call('HGET', KEYS[1], ARGV[1])
         if not owner or owner == ARGV[2] then return {{0, ''}} end
         local written = redis.call('HGET', ARGV[3] .. owner, ARGV[1]) or ''
         redis.call('XADD', ARGV[4] .. owner, 'MAXLEN', '~', ARGV[5], '*',
                    '{HOST}', ARGV[2], '{EVENTS}', ARGV[6] .. ' ' .. ARGV[7], '{TO}', ARGV[1])
         return {{1, written}}"
    ))
});

/// A heartbeat of a host still in the room. KEYS: hosts, the host's heartbeat. ARGV: host id,
/// time to live in ms, the time now. Returns 1, or 0 (and beats not) when the host was reaped:
/// it must not come back as if nothing happened, since its members were announced as gone.
pub(crate) static BEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
         redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
         return 1",
    )
});

/// Reaps a host whose heartbeat expired: frees its members' nicknames, appends a `leave` for
/// each (in entries of at most `MAX_ENTRY_EVENTS`, under the dead host's id, `mid` 0), forgets
/// its inbox and its last appended mid. KEYS: hosts, its heartbeat, its members, nicks, seq,
/// events, its inbox, appended. ARGV: its id, cap, the leave event's JSON before the nickname
/// and after it. Only one reaper wins: the script does nothing unless it is the one that takes
/// the id out of `hosts` (and nothing to a host whose heartbeat is back). Returns
/// `{1, seq, nick, seq, nick, ...}` when it reaped, `{0}` when it did not.
pub(crate) static REAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{}if redis.call('EXISTS', KEYS[2]) == 1 then return {{0}} end
         if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return {{0}} end
         local members = redis.call('HGETALL', KEYS[3])
         local done = {{1}}
         local lines, nicks = {{}}, {{}}
         local function flush()
           if #lines == 0 then return end
           local last = append(KEYS[5], KEYS[6], tonumber(ARGV[2]), ARGV[1],
                               table.concat(lines, '\\n'), #lines, 0)
           if type(last) == 'table' then error(last.err) end
           for i, nick in ipairs(nicks) do
             done[#done + 1] = last - #lines + i
             done[#done + 1] = nick
           end
           lines, nicks = {{}}, {{}}
         end
         for i = 1, #members, 2 do
           local folded, nick = members[i], members[i + 1]
           if redis.call('HGET', KEYS[4], folded) == ARGV[1] then
             redis.call('HDEL', KEYS[4], folded)
           end
           lines[#lines + 1] = '0 ' .. ARGV[3] .. cjson.encode(nick) .. ARGV[4]
           nicks[#nicks + 1] = nick
           if #lines == {MAX_ENTRY_EVENTS} then flush() end
         end
         flush()
         redis.call('DEL', KEYS[3], KEYS[7])
         redis.call('HDEL', KEYS[8], ARGV[1])
         return done",
        append_function()
    ))
});

/// Loads every script into Redis's script cache (a new connection does this first).
pub(crate) fn load_all(conn: &mut Connection) -> RedisResult<()> {
    for script in [
        &*APPEND,
        &*CLAIM,
        &*ROSTER,
        &*RELEASE,
        &*POST,
        &*BEAT,
        &*REAP,
        &*SAVE_STATE,
    ] {
        script.prepare_invoke().load(conn)?;
    }
    Ok(())
}
