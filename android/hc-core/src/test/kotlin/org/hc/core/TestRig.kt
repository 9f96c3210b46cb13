package org.hc.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.hc.testkit.TestEnv

// The shared Kotlin test kit (android/testkit/kotlin), under the names these tests use.
typealias Account = org.hc.testkit.Account
typealias MemoryStore = org.hc.testkit.MemoryStore
typealias RecordingLogger = org.hc.testkit.RecordingLogger
typealias TestDevice = org.hc.testkit.TestDevice
typealias Frames = org.hc.testkit.Frames
typealias Mail = org.hc.testkit.Mail

/**
 * The servers the test script (bindings/scripts/test-kotlin.sh) started for this run: one hc-cloud
 * and two simulated NVRs, provisioned and unbound. Everything is on 127.0.0.1.
 */
object Rig {
    val cloudUrl: String get() = TestEnv.cloudUrl
    val nvrPassword: String get() = TestEnv.nvrPassword
    val deviceA: TestDevice by lazy { TestDevice.fromEnv("A") }
    val deviceB: TestDevice by lazy { TestDevice.fromEnv("B") }
    val deviceC: TestDevice by lazy { TestDevice.fromEnv("C") }
    val deviceD: TestDevice by lazy { TestDevice.fromEnv("D") }
    val deviceE: TestDevice by lazy { TestDevice.fromEnv("E") }
    val deviceF: TestDevice by lazy { TestDevice.fromEnv("F") }
    val deviceG: TestDevice by lazy { TestDevice.fromEnv("G") }
    val deviceH: TestDevice by lazy { TestDevice.fromEnv("H") }

    /** The core's logger for the whole test run; `init` sets it once. */
    val logger = RecordingLogger()

    init {
        init(logger)
    }

    fun config(
        cloudUrl: String = this.cloudUrl,
        requestTimeoutMs: ULong = 10_000uL,
        deviceListMaxAgeSecs: ULong = 300uL,
    ) = ClientConfig(
        cloudUrl = cloudUrl,
        extraRootCaPem = null,
        requestTimeoutMs = requestTimeoutMs,
        deviceListMaxAgeSecs = deviceListMaxAgeSecs,
    )

    fun client(store: SecureStore = MemoryStore(), config: ClientConfig = config()) = HcClient(config, store)

    /** A new account, registered and logged in on a new client. */
    suspend fun newAccount(store: MemoryStore = MemoryStore()): Account =
        org.hc.testkit.registeredAccount(client(store), store)
}

/** `runBlocking` for tests: JUnit ignores test methods that return a value. */
fun coTest(block: suspend CoroutineScope.() -> Unit) {
    runBlocking { withTimeout(120_000) { block() } }
}

/**
 * The listener of a ResetFlow as a Kotlin [StateFlow], the way a view model exposes screen state.
 * [history] keeps every state in the order the core pushed them (a StateFlow conflates).
 */
class FlowStates : ResetFlowListener {
    private val _state = MutableStateFlow<ResetState>(ResetState.Scanning())
    val state: StateFlow<ResetState> = _state.asStateFlow()
    val history: MutableList<ResetState> = java.util.Collections.synchronizedList(mutableListOf())
    override fun onState(state: ResetState) {
        history += state
        _state.value = state
    }

    suspend fun await(timeoutMs: Long = 30_000, predicate: (ResetState) -> Boolean): ResetState =
        withTimeout(timeoutMs) { state.first(predicate) }

    /** The first state pushed at or after position [from] of [history] that matches (no conflation). */
    suspend fun awaitPushed(from: Int, timeoutMs: Long = 30_000, predicate: (ResetState) -> Boolean): ResetState =
        withTimeout(timeoutMs) {
            var found: ResetState? = null
            while (found == null) {
                found = synchronized(history) { history.drop(from).firstOrNull(predicate) }
                if (found == null) delay(10)
            }
            found
        }
}

/**
 * A device bound to a throwaway account, showing its Hik-Connect QR code: for tests that need a real
 * QR code of the NVR and nothing else.
 */
suspend fun TestDevice.showingQr(): Pair<String, ByteArray> {
    if (status().bool("bound") != true) {
        Rig.newAccount().client.addDevice(serial, labelCode, null)
        check(sync()) { "$serial is not bound after sync" }
    }
    val text = startHikConnect()
    return text to qrPng()
}
