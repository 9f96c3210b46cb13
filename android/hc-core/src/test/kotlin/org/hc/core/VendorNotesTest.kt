package org.hc.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The vendor flow's two notes: the device is not added, and the device is added by others. */
class VendorNotesTest {
    @Test
    fun `a device of another account shows the added-by-others note, and once removed the not-added note`() = coTest {
        val device = Rig.deviceB
        val other = Rig.newAccount()
        other.client.addDevice(device.serial, device.labelCode, null)
        assertTrue(device.sync())
        val qrText = device.startHikConnect()

        val me = Rig.newAccount()
        val added = assertFailsWith<HcException.DeviceAddedByOthers> {
            me.client.addDevice(device.serial, device.labelCode, "Not mine")
        }
        assertEquals(device.serial, added.serial)

        // Only the cloud can tell "not in this account" from "another account has it": it says which.
        val byOthers = assertFailsWith<HcException.DeviceAddedByOthers> { me.client.requestResetCode(qrText) }
        assertEquals(device.serial, byOthers.serial)

        val states = FlowStates()
        val flow = me.client.resetFlow(states)
        flow.submitImage(device.qrPng())
        val failed = assertIs<ResetState.Failed>(states.await { it is ResetState.Failed || it is ResetState.CodeReady })
        val error = assertIs<HcException.DeviceAddedByOthers>(failed.error)
        assertEquals(device.serial, error.serial)

        // Back to scanning, on the user's word.
        flow.cancel()
        assertEquals(ResetState.Scanning(), flow.state())
        states.await { it == ResetState.Scanning() }

        // The other account removes it; the NVR, offline, still offers the QR: now it is "not added".
        other.client.removeDevice(device.serial)
        val notAdded = assertFailsWith<HcException.DeviceNotAdded> { me.client.requestResetCode(device.startHikConnect()) }
        assertEquals(device.serial, notAdded.serial)
    }

    @Test
    fun `a device given away while the phone's list is stale is added by others`() = coTest {
        val device = Rig.deviceC
        val me = Rig.newAccount()
        me.client.addDevice(device.serial, device.labelCode, "Old NVR")
        assertEquals(listOf(device.serial), me.client.devices(true).devices.map { it.serial })

        // On another phone of the same account, the device is removed; its new owner adds it.
        val otherPhone = Rig.client()
        otherPhone.login(me.email, me.password)
        otherPhone.removeDevice(device.serial)
        val newOwner = Rig.newAccount()
        newOwner.client.addDevice(device.serial, device.labelCode, null)
        assertTrue(device.sync())
        device.startHikConnect()

        // This phone still lists the device (fresh cache), so the cloud decides: added by others.
        val cached = me.client.devices(false)
        assertTrue(cached.fromCache)
        assertEquals(listOf(device.serial), cached.devices.map { it.serial })
        val states = FlowStates()
        val flow = me.client.resetFlow(states)
        flow.submitImage(device.qrPng())
        val failed = assertIs<ResetState.Failed>(states.await { it is ResetState.Failed || it is ResetState.CodeReady })
        val error = assertIs<HcException.DeviceAddedByOthers>(failed.error)
        assertEquals(device.serial, error.serial)

        // Retrying asks the cloud again with the same QR: same answer.
        val pushed = states.history.size
        flow.retry()
        states.awaitPushed(pushed) { it is ResetState.Requesting }
        val again = assertIs<ResetState.Failed>(states.awaitPushed(pushed) { it is ResetState.Failed || it is ResetState.CodeReady })
        assertIs<HcException.DeviceAddedByOthers>(again.error)
    }
}
