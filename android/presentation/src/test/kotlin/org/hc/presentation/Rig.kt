package org.hc.presentation

import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.hc.core.ClientConfig
import org.hc.core.Frame
import org.hc.core.FrameFormat
import org.hc.core.HcClient
import org.hc.core.LogLevel
import org.hc.core.MessageId
import org.hc.core.UiMessage
import org.hc.core.Logger
import org.hc.core.SecureStore
import org.hc.core.init
import org.hc.testkit.Frames
import org.hc.testkit.TestEnv

// The shared Kotlin test kit (android/testkit/kotlin), under the names these tests use.
typealias MemoryStore = org.hc.testkit.MemoryStore
typealias TestDevice = org.hc.testkit.TestDevice

/**
 * The servers android/scripts/test-presentation.sh started (through the bindings harness): one
 * hc-cloud and one nvr-sim per test device, on 127.0.0.1.
 */
object Rig {
    fun env(name: String): String = TestEnv.env(name)

    val cloudUrl: String get() = TestEnv.cloudUrl

    init {
        init(object : Logger {
            override fun log(level: LogLevel, target: String, message: String) {
                if (level == LogLevel.ERROR || level == LogLevel.WARN) System.err.println("[$level] $target: $message")
            }
        })
    }

    fun client(store: SecureStore = MemoryStore(), cloudUrl: String = this.cloudUrl): HcClient =
        HcClient(ClientConfig(cloudUrl = cloudUrl, extraRootCaPem = null, requestTimeoutMs = 5_000uL, deviceListMaxAgeSecs = 300uL), store)

    suspend fun newAccount(): org.hc.testkit.Account {
        val store = MemoryStore()
        return org.hc.testkit.registeredAccount(client(store), store, prefix = "ui")
    }
}

/** A clock on whole seconds that the test sets. */
class FakeClock(start: Long = System.currentTimeMillis() / 1000) : Clock {
    private val now = AtomicLong(start)
    override fun nowMillis(): Long = now.get() * 1000
    fun set(unix: Long) = now.set(unix)
}

/** Counts the vibrations the model asks for. */
class CountingHaptics : Haptics {
    private val count = java.util.concurrent.atomic.AtomicInteger()
    val vibrations: Int get() = count.get()
    override fun codeAppeared() { count.incrementAndGet() }
}

/** A message as the core gives it. */
fun msg(id: MessageId, vararg args: Any): UiMessage = UiMessage(id, args.map { it.toString() })

/** A test body with a scope for the models, cancelled at the end. */
fun uiTest(block: suspend CoroutineScope.(scope: CoroutineScope) -> Unit) {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    try {
        runBlocking { withTimeout(120_000) { this.block(scope) } }
    } finally {
        scope.cancel()
    }
}

suspend fun <T> StateFlow<T>.await(timeoutMs: Long = 30_000, predicate: (T) -> Boolean): T =
    withTimeout(timeoutMs) { first(predicate) }

/**
 * What CameraX's ImageAnalysis hands the analyzer for the NVR's screen: plane 0 (Y) of a sensor
 * frame, rows padded (rowStride > width), mounted rotated so that it needs [rotationDegrees] to be upright.
 */
fun cameraFrame(png: ByteArray, rotationDegrees: Int = 90, width: Int = 640, height: Int = 480): Frame =
    Frames.frame(png, FrameFormat.LUMA8, rotationDegrees, width, height, padding = 64)
