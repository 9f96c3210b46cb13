package org.hc.core

import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test

/** Suspend calls cancelled while the request is in flight. */
class CancellationTest {
    /** A "cloud" on 127.0.0.1 that accepts connections and never answers. */
    private class SilentServer : AutoCloseable {
        private val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        private val held = java.util.Collections.synchronizedList(mutableListOf<Socket>())
        val url = "http://127.0.0.1:${server.localPort}"
        init {
            thread(isDaemon = true) {
                while (!server.isClosed) runCatching { held += server.accept() }
            }
        }
        val connections get() = held.size
        override fun close() {
            server.close()
            synchronized(held) { held.forEach { it.close() } }
        }
    }

    @Test
    fun `a suspend call cancelled mid-flight ends at once and the core keeps working`() = coTest {
        SilentServer().use { silent ->
            val client = Rig.client(config = Rig.config(cloudUrl = silent.url, requestTimeoutMs = 60_000uL))
            val call = async { client.login("someone@example.test", "whatever-password") }
            while (silent.connections == 0) delay(10)   // the request is on the wire
            val started = System.nanoTime()
            call.cancelAndJoin()
            assertTrue(call.isCancelled)
            assertTrue((System.nanoTime() - started) / 1_000_000 < 2_000, "cancel took too long")
            assertFailsWith<CancellationException> { call.await() }
        }
        // The runtime under the bindings is not wedged by the abandoned call.
        val account = Rig.newAccount()
        assertTrue(account.client.devices(true).devices.isEmpty())
    }

    @Test
    fun `withTimeout cancels a hanging request`() = coTest {
        SilentServer().use { silent ->
            val client = Rig.client(config = Rig.config(cloudUrl = silent.url, requestTimeoutMs = 60_000uL))
            val started = System.nanoTime()
            assertFailsWith<TimeoutCancellationException> {
                withTimeout(300) { client.register("someone@example.test", "whatever-password", "whatever-password") }
            }
            assertTrue((System.nanoTime() - started) / 1_000_000 < 3_000)
        }
    }

    @Test
    fun `the request timeout of the config gives a typed network error`() = coTest {
        SilentServer().use { silent ->
            val client = Rig.client(config = Rig.config(cloudUrl = silent.url, requestTimeoutMs = 300uL))
            assertFailsWith<HcException.Network> { client.login("someone@example.test", "whatever-password") }
        }
    }

    @Test
    fun `cancelling a reset flow while it asks the cloud goes back to scanning`() = coTest {
        val (_, png) = Rig.deviceE.showingQr()
        val account = Rig.newAccount()
        SilentServer().use { silent ->
            // The same account on a phone whose cloud stopped answering: the session comes from the store
            // (a session belongs to its cloud, so the stored one is moved with it to the silent address).
            val store = account.store.withCloudAt(Rig.cloudUrl, silent.url)
            val client = Rig.client(store, Rig.config(cloudUrl = silent.url, requestTimeoutMs = 60_000uL))
            assertTrue(client.isLoggedIn())
            val states = FlowStates()
            val flow = client.resetFlow(states)
            flow.submitImage(png)
            val requesting = states.await { it is ResetState.Requesting || it is ResetState.Failed }
            assertIs<ResetState.Requesting>(requesting, "history ${states.history}")
            flow.cancel()
            assertEquals(ResetState.Scanning(), flow.state())
            states.await { it == ResetState.Scanning() }
            delay(200)
            assertEquals(ResetState.Scanning(), flow.state(), "the abandoned request must not come back")
        }
    }
}
