package org.hc.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import org.junit.jupiter.api.Test

/** What a newcomer meets: the password rule stated once, the session kept to its cloud, one deadline per QR. */
class AccountAndCloudTest {
    @Test
    fun `registration states the rule, catches a mistyped confirmation and logs in`() = coTest {
        assertEquals(MessageId.PASSWORD_RULE, passwordRuleMessage().id)
        checkNewPassword("me@example.test", "correct horse battery staple", "correct horse battery staple")
        assertFailsWith<HcException.PasswordsDiffer> { checkNewPassword("", "correct horse", "correct hrose") }
        val weak = assertFailsWith<HcException.WeakPassword> { checkNewPassword("", "password1", "password1") }
        assertEquals(PasswordProblem.COMMON, weak.problem)
        assertEquals(MessageId.ERROR_PASSWORD_COMMON, errorMessage(weak).id)

        val client = Rig.client()
        val email = "new-${System.nanoTime()}@example.test"
        assertFailsWith<HcException.PasswordsDiffer> { client.register(email, "correct horse", "correct hrose") }
        client.register(email, "correct horse battery staple", "correct horse battery staple")
        assertTrue(client.isLoggedIn())
        assertEquals(SessionState.LoggedIn, client.sessionState())
    }

    @Test
    fun `pointed at the NVR's address, the app keeps its session to itself and says it is not an hc cloud`() = coTest {
        val store = MemoryStore()
        Rig.newAccount(store)
        val atNvr = Rig.client(store, Rig.config(cloudUrl = Rig.deviceA.nvrUrl))
        assertFalse(atNvr.isLoggedIn())
        val state = atNvr.sessionState()
        assertEquals(SessionState.OtherCloud(Rig.cloudUrl.trimEnd('/')), state)
        // Asked without the session, the address answers as no hc cloud does: that is what it says.
        val listed = assertFailsWith<HcException.NotAnHcCloud> { atNvr.devices(true) }
        assertEquals(ErrorAction.CorrectInput, errorAction(listed))
        val notCloud = assertFailsWith<HcException.NotAnHcCloud> { atNvr.login("someone@example.test", "correct horse") }
        assertEquals(MessageId.ERROR_NOT_AN_HC_CLOUD, errorMessage(notCloud).id)
        // Back at its own cloud, the session is still there.
        assertTrue(Rig.client(store).isLoggedIn())
    }

    @Test
    fun `a label code of the wrong shape is refused before the cloud is asked`() = coTest {
        val me = Rig.newAccount()
        assertFailsWith<HcException.InvalidLabelCode> { me.client.addDevice(Rig.deviceF.serial, "ABC12", null) }
        assertFailsWith<HcException.InvalidSerial> { me.client.addDevice("J1234", Rig.deviceF.labelCode, null) }
    }

    @Test
    fun `two scans of one QR show one deadline`() = coTest {
        val device = Rig.deviceG
        val me = Rig.newAccount()
        me.client.addDevice(device.serial, device.labelCode, null)
        assertTrue(device.sync())
        val qr = device.startHikConnect()
        val first = me.client.requestResetCode(qr)
        delay(1_100)
        val again = me.client.requestResetCode(qr)
        assertEquals(first.expiresAtUnix, again.expiresAtUnix)
    }
}
