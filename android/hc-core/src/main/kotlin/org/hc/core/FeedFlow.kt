package org.hc.core

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

// Written once, beside the generated bindings, for every Kotlin user of the core (the app and
// :presentation): the core follows the feed (long polls, backoff, resuming after the last id), this
// only turns its listener into a Flow.

/**
 * The owner's security feed after [after] (an earlier event's id; null: from the first event), each
 * event once, oldest first, then the new ones as they happen: [HcClient.followFeed] as a cold
 * [Flow]. Collecting starts a follower; cancelling the collector stops it. While the cloud is out
 * of reach the core retries by itself; an error it gives up on (the session ended) ends the flow
 * with that [HcException]. [onStart] is handed each follower as it starts (its `lastId` is where a
 * later follow resumes). The core's thread never waits for a slow collector: events queue.
 */
fun HcClient.feed(after: Long? = null, onStart: (FeedFollower) -> Unit = {}): Flow<FeedEventInfo> = callbackFlow {
    val follower = followFeed(after, object : FeedListener {
        override fun onEvent(event: FeedEventInfo) {
            trySend(event)
        }

        override fun onError(error: HcException, retrying: Boolean) {
            if (!retrying) close(error)
        }
    })
    onStart(follower)
    awaitClose { follower.stop() }
}.buffer(Channel.UNLIMITED)
