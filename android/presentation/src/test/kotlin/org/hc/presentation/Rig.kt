package org.hc.presentation

import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.UUID
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong
import javax.imageio.ImageIO
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

/**
 * The servers android/scripts/test-presentation.sh started (through the bindings harness): one
 * hc-cloud and one nvr-sim per test device, on 127.0.0.1.
 */
object Rig {
    fun env(name: String): String =
        System.getenv(name) ?: error("$name is not set: run the tests through android/scripts/test-presentation.sh")

    val cloudUrl: String get() = env("HC_TEST_CLOUD_URL")

    init {
        init(object : Logger {
            override fun log(level: LogLevel, target: String, message: String) {
                if (level == LogLevel.ERROR || level == LogLevel.WARN) System.err.println("[$level] $target: $message")
            }
        })
    }

    fun client(store: SecureStore = MemoryStore(), cloudUrl: String = this.cloudUrl): HcClient =
        HcClient(ClientConfig(cloudUrl = cloudUrl, extraRootCaPem = null, requestTimeoutMs = 5_000uL, deviceListMaxAgeSecs = 300uL), store)

    class Account(val email: String, val password: String, val client: HcClient, val store: MemoryStore)

    suspend fun newAccount(): Account {
        val store = MemoryStore()
        val email = "ui-${UUID.randomUUID()}@example.test"
        val password = "Correct-Horse-${UUID.randomUUID().toString().take(8)}"
        val client = client(store)
        client.register(email, password)
        client.login(email, password)
        return Account(email, password, client, store)
    }
}

class MemoryStore : SecureStore {
    val entries = ConcurrentHashMap<String, String>()
    override fun get(key: String): String? = entries[key]
    override fun set(key: String, value: String) { entries[key] = value }
    override fun delete(key: String) { entries.remove(key) }
}

class FakeClock(start: Long = System.currentTimeMillis() / 1000) : Clock {
    private val now = AtomicLong(start)
    override fun nowUnix(): Long = now.get()
    fun set(unix: Long) = now.set(unix)
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

/** A provisioned device and its simulated NVR (JSON API under /api/). */
class TestDevice(id: String) {
    val serial = Rig.env("HC_TEST_DEVICE_${id}_SERIAL")
    val labelCode = Rig.env("HC_TEST_DEVICE_${id}_LABEL_CODE")
    private val nvrUrl = Rig.env("HC_TEST_DEVICE_${id}_NVR_URL")
    private val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    private fun call(method: String, path: String, json: String? = null): HttpResponse<ByteArray> {
        val b = HttpRequest.newBuilder(URI.create("$nvrUrl$path")).timeout(Duration.ofSeconds(20))
        if (json != null) b.header("content-type", "application/json")
        b.method(method, if (json != null) HttpRequest.BodyPublishers.ofString(json) else HttpRequest.BodyPublishers.noBody())
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray())
    }

    private fun field(body: String, name: String): String? =
        Regex("\"$name\"\\s*:\\s*(\"([^\"]*)\"|true|false|-?\\d+)").find(body)?.let { m ->
            m.groupValues[2].ifEmpty { m.groupValues[1] }
        }

    /** The NVR comes online for a moment and learns whether it is bound. */
    fun sync(): Boolean {
        val r = call("POST", "/api/sync")
        check(r.statusCode() == 200) { "sync: HTTP ${r.statusCode()}" }
        return field(String(r.body()), "bound") == "true"
    }

    /** Forget Password > Verify by Hik-Connect: the NVR shows its QR code. */
    fun startHikConnect(): String {
        val r = call("POST", "/api/forget-password/hik-connect")
        check(r.statusCode() == 200) { "hik-connect: HTTP ${r.statusCode()} ${String(r.body())}" }
        return field(String(r.body()), "qr") ?: error("no qr")
    }

    fun qrPng(): ByteArray = call("GET", "/api/qr.png").also { check(it.statusCode() == 200) }.body()

    /** Enters the verification code on the NVR; true when it accepts it. */
    fun verify(code: String): Boolean =
        call("POST", "/api/forget-password/verify", "{\"code\":\"$code\"}").statusCode() == 200
}

/**
 * What CameraX's ImageAnalysis hands the analyzer for the NVR's screen: plane 0 (Y) of a sensor
 * frame, rows padded (rowStride > width), mounted rotated so that it needs [rotationDegrees] to be upright.
 */
fun cameraFrame(png: ByteArray, rotationDegrees: Int = 90, width: Int = 640, height: Int = 480): Frame {
    val image: BufferedImage = ImageIO.read(ByteArrayInputStream(png))
    fun upright(x: Int, y: Int): Int {
        val ix = x - (width - image.width) / 2; val iy = y - (height - image.height) / 2
        if (ix !in 0 until image.width || iy !in 0 until image.height) return 150
        val rgb = image.getRGB(ix, iy)
        return 35 + ((rgb shr 16 and 0xff) * 299 + (rgb shr 8 and 0xff) * 587 + (rgb and 0xff) * 114) / 1000 * 170 / 255
    }
    val (fw, fh) = if (rotationDegrees % 180 == 0) width to height else height to width
    val stride = fw + 64
    val bytes = ByteArray(stride * fh)
    for (y in 0 until fh) for (x in 0 until fw) {
        // Frame pixel (x, y) -> upright pixel after turning the frame clockwise by rotationDegrees.
        val v = when (rotationDegrees) {
            0 -> upright(x, y)
            90 -> upright(fh - 1 - y, x)
            180 -> upright(fw - 1 - x, fh - 1 - y)
            270 -> upright(y, fw - 1 - x)
            else -> error("rotation")
        }
        bytes[y * stride + x] = v.toByte()
    }
    return Frame(fw.toUInt(), fh.toUInt(), stride.toUInt(), FrameFormat.LUMA8, bytes, rotationDegrees.toUInt())
}
