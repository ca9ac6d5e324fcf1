// Package profile keeps peer profiles: what this router has observed of
// each other router when it asked it for something, used to choose
// floodfills for netDb lookups and stores and hops for tunnels
// (how-peer-selection.html, lastupdated 2024-02 for 0.9.62;
// how-network-database.html, lastupdated 2025-03, "Slow or Unresponsive").
// Profiles never use what a peer claims about itself, only what we saw.
//
// # What is recorded
//
// A [Profile] holds, per router hash:
//
//   - lookups sent, answered (any reply: the entry or a search reply) and
//     failed (no reply in time), with an average answer latency;
//   - stores sent and confirmed (DeliveryStatus or verify received);
//   - tunnel builds requested, accepted, rejected and timed out;
//   - the first and last time the peer answered anything, the last failure,
//     and per kind the last success and failure.
//
// Every count is a [Tally]: an all-time Total and a Recent value that
// decays exponentially with the store's half-life (one hour by default),
// so an event an hour old weighs half as much as one now. Recent values
// refer to the instant Profile.AsOf; [Store.Get] returns them decayed to
// the current time. Old behaviour is thus forgotten gradually, instead of
// i2pd's reset-after-N-rejections or Java's fixed 10-minute/1-hour/1-day
// rate windows.
//
// # Score
//
// [Profile.Score] is a capacity and reliability estimate in (0, 1), higher
// is better. With the Recent counts
//
//	good = lookups answered + stores confirmed + builds accepted
//	bad  = lookups failed + stores unconfirmed + 2·builds timed out + ½·builds rejected
//
// it is
//
//	reliability = (good + 1) / (good + bad + 2)
//	speed       = 1, or GoodLatency / latency when the average lookup latency exceeds GoodLatency (2 s)
//	score       = reliability · (0.8 + 0.2·speed)
//
// halved while the newest failure is less than [FailureGrace] old and newer
// than the newest reply. An unknown peer scores 0.5; the +1/+2 (a Laplace
// prior) keep a single event from pushing a peer to 0 or 1. The weights
// follow Java's capacity calculation (drops weigh much more than
// rejections, which only say the peer is busy) and its floodfill selection
// (FloodfillPeerSelector: good floodfills answer within 2 s and have had no
// lookup failure for the last 70 s). Java's speed is bandwidth-based and
// its integration value is unused (how-peer-selection.html); we use lookup
// latency instead and omit integration.
//
// # Bad peers
//
// [Profile.IsBad] reports a peer to avoid for now. It applies i2pd's
// rules (libi2pd/Profiling.cpp, 2.45.1) to the Recent counts, with a
// minimum of [BadMinEvents] events so that one bad answer does not ban a
// peer:
//
//   - declines: builds rejected ≥ 5 and accepted·4 < rejected, i.e. under
//     20% acceptance (i2pd IsAlwaysDeclining and IsLowPartcipationRate);
//   - no replies to builds: timed out ≥ 5 and timed out > 10·(accepted +
//     rejected + 1) (i2pd IsLowReplyRate, lenient because a lost build reply
//     may be any hop's fault);
//   - no answers to netDb requests: lookups failed + stores unconfirmed ≥ 5
//     and more than 3× the lookups answered + stores confirmed.
//
// Because counts decay, a bad peer becomes usable again a few half-lives
// after it stops failing.
//
// # Store
//
// [Store] is the thread-safe set of profiles, capped (Config.MaxProfiles);
// when full, recording a new peer evicts the one recorded least recently.
// Profiles idle for longer than Config.MaxAge (72 hours, i2pd's
// PEER_PROFILE_EXPIRATION_TIMEOUT) are dropped. [Store.Save] writes all
// profiles to one JSON file, dir/profiles.json, atomically (temporary file,
// fsync, rename; mode 0600), and [Store.Load] reads it back. This file is
// ours: Java (profiles/*.txt.gz) and i2pd (peerProfiles/*.txt) formats are
// not read.
//
// The clock is injected (New's now argument), so tests need no sleeps.
package profile
