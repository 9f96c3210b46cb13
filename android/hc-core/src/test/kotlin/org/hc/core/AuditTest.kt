package org.hc.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The owner's audit lists every attempt on their devices, other accounts' too, masked. */
class AuditTest {
    @Test
    fun `another account asks for a code for my NVR and my audit shows it masked`() = coTest {
        val device = Rig.deviceF
        val me = Rig.newAccount()
        me.client.addDevice(device.serial, device.labelCode, "Shop NVR")
        assertTrue(device.sync())

        // The installer, logged in to their own account, scans the NVR's QR code: refused.
        val installer = Rig.newAccount()
        assertFailsWith<HcException.DeviceAddedByOthers> {
            installer.client.requestResetCode(device.startHikConnect())
        }

        // My audit shows the attempt in words, the other account masked; never its address.
        val attempt = me.client.auditEvents().first()
        val masked = "us***@example.test"
        assertEquals(AuditActor.OtherAccount(masked), attempt.actor)
        assertEquals(UiMessage(MessageId.AUDIT_OTHER_ACCOUNT_REFUSED, listOf(masked, device.serial)), attempt.message)
        assertEquals(device.serial, attempt.serial)
        assertNull(attempt.clientAddr)
        assertTrue(installer.email !in attempt.message.args)

        // The installer's own log keeps what it had: its refusal, as its own, with its address.
        val theirs = installer.client.auditPage(null, 10u)
        val own = theirs.events.single()
        assertEquals(AuditActor.You, own.actor)
        assertEquals(UiMessage(MessageId.AUDIT_DEVICE_ADDED_BY_OTHERS, listOf(device.serial)), own.message)
        assertNotNull(own.clientAddr)
        assertNull(theirs.nextBefore)
    }
}
