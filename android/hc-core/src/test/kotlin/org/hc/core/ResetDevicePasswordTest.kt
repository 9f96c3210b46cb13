package org.hc.core

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import org.junit.jupiter.api.Test

/** The headline feature, end to end: phone (Kotlin over the core), cloud and NVR. */
class ResetDevicePasswordTest {
    private val device = Rig.deviceA

    @Test
    fun `the owner resets the NVR admin password by scanning its QR code with the camera`() = coTest {
        // Log in and add the device with the serial and label code printed on it.
        val owner = Rig.newAccount()
        assertTrue(owner.client.isLoggedIn())
        val empty = owner.client.devices(true)
        assertTrue(empty.devices.isEmpty())
        assertFalse(empty.fromCache)

        // An NVR nobody added does not offer Verify by Hik-Connect.
        assertEquals(403, device.api("POST", "/forget-password/hik-connect").status)

        owner.client.addDevice(device.serial, device.labelCode, "Shop NVR")
        val listed = owner.client.devices(false).devices.single()
        assertEquals(device.serial, listed.serial)
        assertEquals("Shop NVR", listed.name)
        assertEquals(device.model, listed.model)
        assertTrue(listed.addedAtUnix > 0)
        assertTrue(device.sync(), "the NVR learns that it is bound")

        // On the NVR: Forget Password > Verify by Hik-Connect shows a QR code.
        val qrText = device.startHikConnect()
        val png = device.qrPng()

        // In the app: More > Reset Device Password; the camera sends frames until the flow has a code.
        val states = FlowStates()
        val flow = owner.client.resetFlow(states)
        assertEquals(ResetState.Scanning(hint = null), flow.state())
        // Before it points at the NVR, the camera sees a blank wall: the screen says so.
        flow.submitFrame(Frames.empty())
        val wall = assertIs<ResetState.Scanning>(states.await { it is ResetState.Scanning && it.hint != null })
        assertEquals(ScanHint.NO_CODE, wall.hint)
        assertEquals(ResetScreen.Scanning(UiMessage(MessageId.SCAN_HINT_NO_CODE, emptyList())), resetScreen(wall, 0))
        // The phone is held sideways: NV21 frames that need a 90 degree turn, rows padded.
        val frame = Frames.frame(png, FrameFormat.NV21, rotationDegrees = 90)
        val camera = launch(Dispatchers.Default) {
            while (isActive) {
                flow.submitFrame(frame)
                delay(30)
            }
        }
        val end = states.await { it is ResetState.CodeReady || it is ResetState.Failed }
        camera.cancel()
        val ready = assertIs<ResetState.CodeReady>(end, "final state $end; history ${states.history}")
        assertEquals(device.serial, ready.serial)
        assertEquals(device.model, ready.model)
        assertTrue(Regex("\\d{8}").matches(ready.code), "8-digit code, got ${ready.code}")
        assertTrue(ready.expiresAtUnix > System.currentTimeMillis() / 1000)
        assertEquals(ready, flow.state())
        assertEquals(
            listOf("Recognized", "Requesting", "CodeReady"),
            states.history.map { it::class.simpleName }.filter { it != "Scanning" },
        )
        assertEquals(ResetState.Recognized(device.serial, device.model), states.history.first { it is ResetState.Recognized })
        // Frames after the code do not restart the scan.
        flow.submitFrame(frame)
        assertEquals(ready, flow.state())

        // The code is a function of the challenge: asking again gives the same one.
        assertEquals(ready.code, owner.client.requestResetCode(qrText).code)

        // On the NVR: enter the code, set a new password, log in with it.
        val verified = device.verify(ready.code)
        assertEquals(200, verified.status, "verify: $verified")
        val token = verified.string("reset_token") ?: error("no reset_token in $verified")
        val newPassword = "Kotlin-Reset-42"
        val set = device.newPassword(token, newPassword)
        assertTrue(set.status in 200..299, "new password: $set")
        assertEquals(200, device.login(newPassword).status)
        assertEquals(401, device.login(Rig.nvrPassword).status)

        // The account's audit log records the issued code.
        assertTrue(owner.client.auditEvents().any { it.serial == device.serial })
    }
}
