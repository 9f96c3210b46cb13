package org.hc.core

import java.awt.image.BufferedImage
import java.awt.image.ConvolveOp
import java.awt.image.Kernel
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNull
import org.junit.jupiter.api.Test

/** The scanner over the pixel layouts that Android and iOS cameras deliver. */
class ScannerTest {
    private val qr: Pair<String, ByteArray> by lazy { kotlinx.coroutines.runBlocking { Rig.deviceD.showingQr() } }

    @Test
    fun `every camera pixel format and rotation decodes the NVR's QR code`() {
        val (text, png) = qr
        for (format in FrameFormat.entries) {
            for (rotation in listOf(0, 90, 180, 270)) {
                assertEquals(text, decodeFrame(Frames.frame(png, format, rotation)), "$format rotated $rotation")
            }
        }
    }

    @Test
    fun `an encoded image decodes and a frame without a QR code gives nothing`() {
        val (text, png) = qr
        assertEquals(text, decodeImage(png))
        assertNull(decodeFrame(Frames.empty()))
    }

    @Test
    fun `malformed frames are errors, not crashes`() = coTest {
        val short = Frame(640u, 480u, 640u, FrameFormat.LUMA8, ByteArray(100), 0u)
        assertFailsWith<HcException.InvalidFrame> { decodeFrame(short) }
        val zero = Frame(0u, 0u, 0u, FrameFormat.LUMA8, ByteArray(0), 0u)
        assertFailsWith<HcException.InvalidFrame> { decodeFrame(zero) }
        val badStride = Frame(640u, 480u, 100u, FrameFormat.BGRA8, ByteArray(640 * 480 * 4), 0u)
        assertFailsWith<HcException.InvalidFrame> { decodeFrame(badStride) }

        // In the flow, a malformed frame fails the scan with the same typed error.
        val states = FlowStates()
        val flow = Rig.newAccount().client.resetFlow(states)
        flow.submitFrame(short)
        val failed = assertIs<ResetState.Failed>(states.await { it is ResetState.Failed })
        assertIs<HcException.InvalidFrame>(failed.error)
    }

    @Test
    fun `a blurred photo of the QR says hold still, not wrong code`() = coTest {
        val (_, png) = qr
        // The NVR's QR as a shaking phone photographs it: a wide box blur, twice.
        val sharp = Frames.decodePng(png)
        val grey = BufferedImage(sharp.width, sharp.height, BufferedImage.TYPE_BYTE_GRAY)
        grey.graphics.drawImage(sharp, 0, 0, null)
        val side = maxOf(3, sharp.width / 25) or 1
        val box = ConvolveOp(Kernel(side, side, FloatArray(side * side) { 1f / (side * side) }), ConvolveOp.EDGE_NO_OP, null)
        val blurred = box.filter(box.filter(grey, null), null)
        val photo = ByteArrayOutputStream().also { ImageIO.write(blurred, "png", it) }.toByteArray()

        val states = FlowStates()
        val flow = Rig.newAccount().client.resetFlow(states)
        flow.submitImage(photo)
        val failed = assertIs<ResetState.Failed>(states.await { it is ResetState.Failed })
        assertEquals(ScanHint.BLURRED, assertIs<HcException.NoQrFound>(failed.error).hint)
        assertEquals(UiMessage(MessageId.SCAN_HINT_BLURRED, emptyList()), errorMessage(failed.error))
        assertEquals(ErrorAction.ScanAgain, errorAction(failed.error))
    }

    @Test
    fun `a camera in a dark room says too dark and keeps looking`() = coTest {
        val (_, png) = qr
        val lit = Frames.frame(png, FrameFormat.LUMA8)
        // An unlit room at a short exposure: the code one level above a sensor noise of five, a
        // frame no scanner can read (a merely dim one, squeezed to a tenth, it reads, and rightly).
        val noise = java.util.Random(7)
        val dark = lit.copy(bytes = ByteArray(lit.bytes.size) { i ->
            (3 + noise.nextInt(5) + (lit.bytes[i].toInt() and 0xff) / 200).toByte()
        })
        val states = FlowStates()
        val flow = Rig.newAccount().client.resetFlow(states)
        flow.submitFrame(dark)
        val scanning = assertIs<ResetState.Scanning>(states.await { it is ResetState.Scanning && it.hint != null })
        assertEquals(ScanHint.TOO_DARK, scanning.hint)
        assertEquals(ResetState.Scanning(ScanHint.TOO_DARK), flow.state())
    }

    @Test
    fun `a QR code that is not a reset code is a typed failure`() = coTest {
        val states = FlowStates()
        val flow = Rig.newAccount().client.resetFlow(states)
        flow.submitText("https://example.com/not-a-reset-code")
        val failed = assertIs<ResetState.Failed>(states.await { it is ResetState.Failed })
        assertIs<HcException.NotAResetQr>(failed.error)
        flow.cancel()
        flow.submitText("HCR1:AAAA")
        val invalid = states.awaitPushed(states.history.size - 1) {
            it is ResetState.Failed && it.error is HcException.InvalidQr
        }
        assertIs<ResetState.Failed>(invalid)
        // Nothing read at all is not a wrong code.
        flow.cancel()
        val from = states.history.size
        flow.submitText("")
        val nothing = assertIs<ResetState.Failed>(states.awaitPushed(from) { it is ResetState.Failed })
        assertEquals(ScanHint.NO_CODE, assertIs<HcException.NoQrFound>(nothing.error).hint)
    }
}
