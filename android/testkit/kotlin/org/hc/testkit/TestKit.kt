package org.hc.testkit

import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.UUID
import java.util.concurrent.ConcurrentHashMap
import javax.imageio.ImageIO
import kotlinx.coroutines.delay
import org.hc.core.Frame
import org.hc.core.FrameFormat
import org.hc.core.HcClient
import org.hc.core.LogLevel
import org.hc.core.Logger
import org.hc.core.SecureStore
import org.hc.core.StoreException

/**
 * The Kotlin test kit, one source for the binding tests (android/hc-core/src/test) and the
 * presentation tests (android/presentation/src/test): the servers' environment, the in-memory secure
 * store, the NVR's JSON API client and camera-like frames. The scripts that run them
 * (bindings/scripts/test-kotlin.sh, android/scripts/test-presentation.sh) compile this file with
 * each suite and start the servers (bindings/scripts/lib/servers.sh) that set HC_TEST_*.
 */
object TestEnv {
    fun env(name: String): String =
        System.getenv(name) ?: error(
            "$name is not set: run the tests through bindings/scripts/test-kotlin.sh or android/scripts/test-presentation.sh",
        )

    val cloudUrl: String get() = env("HC_TEST_CLOUD_URL")
    val nvrPassword: String get() = env("HC_TEST_NVR_PASSWORD")
}

/** An account registered and logged in on [client], whose tokens live in [store]. */
data class Account(val email: String, val password: String, val client: HcClient, val store: MemoryStore)

/**
 * Registers a fresh account (`<prefix>-<uuid>@example.test`) on [client], logs it in and verifies
 * its address with the mailed code ([Mail.code]): an account that can add devices, as most tests
 * need. [verified] false: the account as registration leaves it.
 */
suspend fun registeredAccount(client: HcClient, store: MemoryStore, prefix: String = "user", verified: Boolean = true): Account {
    val email = "$prefix-${UUID.randomUUID()}@example.test"
    val password = "Correct-Horse-${UUID.randomUUID().toString().take(8)}"
    client.register(email, password, password)
    if (verified) client.verifyEmail(Mail.code(email))
    return Account(email, password, client, store)
}

/**
 * The mail the cloud sends. Without an SMTP relay (as in the tests) it writes each mail as an
 * RFC 5322 file `<unix_ms>-<outbox id>.eml` to its mail folder, HC_TEST_MAIL_DIR; the plain-text
 * part has the 6-digit code alone on a line.
 */
object Mail {
    val dir: File get() = File(TestEnv.env("HC_TEST_MAIL_DIR"))

    /**
     * The code of the newest mail to [to] written at or after [sinceMs] (unix ms; the cloud writes a
     * mail moments after the request that asks for it), waiting up to [timeoutMs] for one.
     */
    suspend fun code(to: String, sinceMs: Long = 0, timeoutMs: Long = 20_000): String {
        val deadline = System.currentTimeMillis() + timeoutMs
        while (true) {
            newestTo(to, sinceMs)?.let { mail ->
                return codeIn(mail.readText()) ?: error("no code on a line of its own in $mail")
            }
            check(System.currentTimeMillis() < deadline) { "no mail to $to in $dir after ${timeoutMs / 1000} s" }
            delay(100)
        }
    }

    private fun newestTo(to: String, sinceMs: Long): File? =
        (dir.listFiles() ?: emptyArray())
            .mapNotNull { file ->
                val m = Regex("""(\d+)-(\d+)\.eml""").matchEntire(file.name) ?: return@mapNotNull null
                val (ms, id) = m.destructured
                Triple(ms.toLong(), id.toLong(), file)
            }
            .filter { (ms, _, file) -> ms >= sinceMs && isTo(file.readText(), to) }
            .maxWithOrNull(compareBy({ it.first }, { it.second }))
            ?.third

    /** The `To:` header (unfolded) names [address]. */
    private fun isTo(mail: String, address: String): Boolean {
        val headers = mail.replace("\r\n", "\n").substringBefore("\n\n").replace(Regex("\n[ \t]+"), " ")
        return headers.lines().any { it.startsWith("To:", ignoreCase = true) && it.contains(address, ignoreCase = true) }
    }

    private fun codeIn(mail: String): String? =
        mail.lines().map { it.trimEnd('\r') }.firstOrNull { it.length == 6 && it.all { c -> c in '0'..'9' } }
}

/** The platform's secure storage, in memory; can be made to fail. */
class MemoryStore : SecureStore {
    val entries = ConcurrentHashMap<String, String>()
    @Volatile var failing = false

    private fun check() {
        if (failing) throw StoreException.Failed("keystore locked")
    }
    override fun get(key: String): String? { check(); return entries[key] }
    override fun set(key: String, value: String) { check(); entries[key] = value }
    override fun delete(key: String) { check(); entries.remove(key) }

    /**
     * This phone's secure storage with its cloud moved from [from] to [to] (an address where
     * nothing answers): the saved session is the cloud's own, and the cloud is out of reach.
     */
    fun withCloudAt(from: String, to: String): MemoryStore = MemoryStore().also { copy ->
        entries.forEach { (key, value) -> copy.entries[key] = value.replace(from.trimEnd('/'), to) }
    }
}

/** The platform's logger: keeps every line. */
class RecordingLogger : Logger {
    data class Line(val level: LogLevel, val target: String, val message: String)
    private val lines = mutableListOf<Line>()
    override fun log(level: LogLevel, target: String, message: String) {
        synchronized(lines) { lines += Line(level, target, message) }
    }
    fun snapshot(): List<Line> = synchronized(lines) { lines.toList() }
}

/** A provisioned device and its simulated NVR (JSON API under /api/). */
class TestDevice(val serial: String, val model: String, val labelCode: String, val nvrUrl: String) {
    /** Test device [id] (A, B, ...) of the servers the script started. */
    constructor(id: String) : this(
        TestEnv.env("HC_TEST_DEVICE_${id}_SERIAL"),
        TestEnv.env("HC_TEST_DEVICE_${id}_MODEL"),
        TestEnv.env("HC_TEST_DEVICE_${id}_LABEL_CODE"),
        TestEnv.env("HC_TEST_DEVICE_${id}_NVR_URL"),
    )

    companion object {
        fun fromEnv(id: String): TestDevice = TestDevice(id)
        private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
    }

    class Answer(val status: Int, val body: String) {
        /** The NVR did what was asked (2xx). */
        val ok: Boolean get() = status in 200..299
        fun string(field: String): String? =
            Regex("\"${Regex.escape(field)}\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").find(body)?.groupValues?.get(1)
        fun number(field: String): Long? =
            Regex("\"${Regex.escape(field)}\"\\s*:\\s*(-?\\d+)").find(body)?.groupValues?.get(1)?.toLong()
        fun bool(field: String): Boolean? =
            Regex("\"${Regex.escape(field)}\"\\s*:\\s*(true|false)").find(body)?.groupValues?.get(1)?.toBoolean()
        override fun toString() = "HTTP $status $body"
    }

    private fun call(method: String, path: String, json: String? = null): HttpResponse<ByteArray> {
        val builder = HttpRequest.newBuilder(URI.create("$nvrUrl$path")).timeout(Duration.ofSeconds(20))
        if (json != null) builder.header("content-type", "application/json")
        builder.method(method, if (json != null) HttpRequest.BodyPublishers.ofString(json) else HttpRequest.BodyPublishers.noBody())
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
    }

    fun api(method: String, path: String, json: String? = null): Answer =
        call(method, "/api$path", json).let { Answer(it.statusCode(), String(it.body())) }

    private fun quote(s: String) = "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

    /** The NVR talks to the cloud for a moment and learns whether it is bound. */
    fun sync(): Boolean {
        val a = api("POST", "/sync")
        check(a.status == 200) { "sync: $a" }
        return a.bool("bound") ?: error("sync: $a")
    }

    fun status(): Answer = api("GET", "/status")

    /** Login menu > Forget Password > Verify by Hik-Connect: the QR text the NVR shows. */
    fun startHikConnect(): String {
        val a = api("POST", "/forget-password/hik-connect")
        check(a.status == 200) { "start Hik-Connect: $a" }
        return a.string("qr") ?: error("start Hik-Connect: $a")
    }

    /** The QR code as the NVR renders it on its screen (PNG). */
    fun qrPng(): ByteArray {
        val r = call("GET", "/api/qr.png")
        check(r.statusCode() == 200) { "qr.png: HTTP ${r.statusCode()}" }
        return r.body()
    }

    fun verify(code: String): Answer = api("POST", "/forget-password/verify", "{\"code\":${quote(code)}}")

    fun newPassword(resetToken: String, password: String): Answer =
        api("POST", "/forget-password/new-password", "{\"reset_token\":${quote(resetToken)},\"password\":${quote(password)}}")

    fun login(password: String, user: String = "admin"): Answer =
        api("POST", "/login", "{\"user\":${quote(user)},\"password\":${quote(password)}}")
}

/**
 * Camera-like frames of an image (the NVR's QR PNG): the picture placed off-centre on a grey
 * background bigger than the code, in the pixel layouts cameras deliver, with padded rows and the
 * sensor's rotation.
 */
object Frames {
    fun decodePng(png: ByteArray): BufferedImage =
        ImageIO.read(ByteArrayInputStream(png)) ?: error("not an image")

    /** Luma of the scene: [image] at (left, top) on a [width]x[height] grey (160) background. */
    private fun scene(image: BufferedImage, width: Int, height: Int, left: Int, top: Int): Array<IntArray> =
        Array(height) { y ->
            IntArray(width) { x ->
                val ix = x - left; val iy = y - top
                if (ix in 0 until image.width && iy in 0 until image.height) {
                    val rgb = image.getRGB(ix, iy)
                    val r = (rgb shr 16) and 0xff; val g = (rgb shr 8) and 0xff; val b = rgb and 0xff
                    // A monitor filmed by a phone: not pure black and white.
                    30 + (r * 299 + g * 587 + b * 114) / 1000 * 180 / 255
                } else 160
            }
        }

    /** Rotates the upright scene so that the frame needs `rotationDegrees` clockwise to be upright. */
    private fun sensor(scene: Array<IntArray>, rotationDegrees: Int): Array<IntArray> {
        val h = scene.size; val w = scene[0].size
        return when (rotationDegrees) {
            0 -> scene
            // Frame pixel (x, y) -> upright pixel after rotating the frame clockwise by 90.
            90 -> Array(w) { y -> IntArray(h) { x -> scene[h - 1 - x][y] } }
            180 -> Array(h) { y -> IntArray(w) { x -> scene[h - 1 - y][w - 1 - x] } }
            270 -> Array(w) { y -> IntArray(h) { x -> scene[x][w - 1 - y] } }
            else -> error("rotation $rotationDegrees")
        }
    }

    fun frame(
        png: ByteArray,
        format: FrameFormat,
        rotationDegrees: Int = 0,
        width: Int = 640,
        height: Int = 480,
        padding: Int = 16,
    ): Frame {
        val image = decodePng(png)
        require(image.width <= width && image.height <= height) { "QR image ${image.width}x${image.height} too big" }
        val upright = scene(image, width, height, (width - image.width) / 3, (height - image.height) / 2)
        val luma = sensor(upright, rotationDegrees)
        val fh = luma.size; val fw = luma[0].size
        val bpp = if (format == FrameFormat.BGRA8 || format == FrameFormat.RGBA8) 4 else 1
        val stride = fw * bpp + padding
        val planeRows = if (format == FrameFormat.NV21 || format == FrameFormat.NV12) fh + (fh + 1) / 2 else fh
        val bytes = ByteArray(stride * planeRows) { 0x55 }
        for (y in 0 until fh) for (x in 0 until fw) {
            val v = luma[y][x].toByte()
            when (bpp) {
                1 -> bytes[y * stride + x] = v
                else -> {
                    val o = y * stride + x * 4
                    bytes[o] = v; bytes[o + 1] = v; bytes[o + 2] = v; bytes[o + 3] = 0xff.toByte()
                }
            }
        }
        // NV21/NV12 chroma: neutral grey (128) in the interleaved half-resolution plane.
        if (bpp == 1 && planeRows > fh) for (y in fh until planeRows) for (x in 0 until fw) bytes[y * stride + x] = 128.toByte()
        return Frame(
            width = fw.toUInt(),
            height = fh.toUInt(),
            rowStride = stride.toUInt(),
            format = format,
            bytes = bytes,
            rotationDegrees = rotationDegrees.toUInt(),
        )
    }

    /** A frame of the same size with nothing in it: the camera before it points at the monitor. */
    fun empty(width: Int = 640, height: Int = 480): Frame =
        Frame(width.toUInt(), height.toUInt(), width.toUInt(), FrameFormat.LUMA8, ByteArray(width * height) { 160.toByte() }, 0u)
}
