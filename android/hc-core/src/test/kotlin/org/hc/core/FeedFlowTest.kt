package org.hc.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import java.util.concurrent.atomic.AtomicReference
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test

/** The security feed as a Kotlin Flow (android/hc-core/src/main/kotlin/org/hc/core/FeedFlow.kt). */
class FeedFlowTest {
    private suspend fun FeedFollower.awaitStopped(timeoutMs: Long = 10_000) {
        withTimeout(timeoutMs) { while (!isStopped()) delay(20) }
    }

    @Test
    fun `another phone logging in arrives in the flow as it happens, and cancelling the collector stops the follower`() = coTest {
        val me = Rig.newAccount()
        val follower = AtomicReference<FeedFollower>()
        val events = Channel<FeedEventInfo>(Channel.UNLIMITED)
        val collector = launch(Dispatchers.Default) {
            me.client.feed(onStart = { follower.set(it) }).collect { events.send(it) }
        }
        // The flow is cold: the follower starts with the collector.
        withTimeout(10_000) { while (follower.get() == null) delay(10) }
        // Everything before now, then the new login: each event once, oldest first.
        val loginsBefore = me.client.feedPage(null, 0u).events.count { it.kind == FeedEventKind.NEW_LOGIN }
        Rig.client().login(me.email, me.password)
        val seen = mutableListOf<FeedEventInfo>()
        val login = withTimeout(30_000) {
            while (seen.count { it.kind == FeedEventKind.NEW_LOGIN } <= loginsBefore) seen += events.receive()
            seen.last()
        }
        assertEquals(MessageId.FEED_NEW_LOGIN, login.message.id)
        assertEquals(seen.map { it.id }.sorted(), seen.map { it.id })
        assertEquals(seen.map { it.id }.distinct(), seen.map { it.id })
        assertFalse(follower.get().isStopped(), "the follower runs while the screen collects")

        collector.cancelAndJoin()
        follower.get().awaitStopped()
        assertTrue(follower.get().isStopped())
        assertTrue(follower.get().lastId() >= login.id)
    }

    @Test
    fun `a flow resumed after the last event shown hears only what came after`() = coTest {
        val me = Rig.newAccount()
        Rig.client().login(me.email, me.password)
        val first = withTimeout(30_000) { me.client.feed().first { it.kind == FeedEventKind.NEW_LOGIN } }
        // first() cancels the collection once it has its event: the follower stopped with it.
        val follower = AtomicReference<FeedFollower>()
        Rig.client().login(me.email, me.password)
        val next = withTimeout(30_000) {
            me.client.feed(after = first.id, onStart = { follower.set(it) }).first()
        }
        assertTrue(next.id > first.id, "$next after $first")
        assertEquals(FeedEventKind.NEW_LOGIN, next.kind)
        assertNotNull(follower.get()).awaitStopped()
    }

    @Test
    fun `without a session the flow ends with the core's error instead of retrying`() = coTest {
        val error = assertFailsWith<HcException.NotLoggedIn> {
            withTimeout(30_000) { Rig.client().feed().toList() }
        }
        assertEquals(MessageId.ERROR_NOT_LOGGED_IN, errorMessage(error).id)
    }
}
