package org.hc.core

import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The codes the cloud mails (#21), through the bindings against the real cloud and its mail folder. */
class MailedCodesTest {
    private fun newEmail(prefix: String) = "$prefix-${UUID.randomUUID()}@example.test"
    private fun wrong(code: String) = ((code.toInt() + 1) % 1_000_000).toString().padStart(6, '0')

    @Test
    fun `a new account cannot add devices until it enters the code from the mail`() = coTest {
        val client = Rig.client()
        val email = newEmail("new")
        val password = "correct horse battery staple"
        client.register(email, password, password)
        assertEquals(AccountStatus(email, false), client.accountStatus())

        val device = Rig.deviceH
        val refused = assertFailsWith<HcException.EmailNotVerified> { client.addDevice(device.serial, device.labelCode, null) }
        assertEquals(ErrorAction.VerifyEmail, errorAction(refused))
        assertEquals(MessageId.ERROR_EMAIL_NOT_VERIFIED, errorMessage(refused).id)

        assertFailsWith<HcException.InvalidMailedCode> { client.verifyEmail("12345") }
        val code = Mail.code(email)
        val wrong = assertFailsWith<HcException.MailedCodeRefused> { client.verifyEmail(wrong(code)) }
        assertEquals(4u, wrong.attemptsLeft)
        assertEquals(UiMessage(MessageId.ERROR_MAILED_CODE_WRONG, listOf("4")), errorMessage(wrong))
        assertEquals(ErrorAction.CorrectInput, errorAction(wrong))

        assertEquals(AccountStatus(email, true), client.verifyEmail(code))
        assertTrue(client.accountStatus().emailVerified)
        val again = assertFailsWith<HcException.Server> { client.resendVerification() }
        assertEquals(MessageId.ERROR_EMAIL_ALREADY_VERIFIED, errorMessage(again).id)

        client.addDevice(device.serial, device.labelCode, "Shop NVR")
        assertTrue(device.sync())
    }

    @Test
    fun `a resent code replaces the first and a spent one asks for a new code`() = coTest {
        val client = Rig.client()
        val email = newEmail("resend")
        client.register(email, "correct horse battery staple", "correct horse battery staple")
        val first = Mail.code(email)
        val before = System.currentTimeMillis()
        assertEquals(900uL, client.resendVerification())
        val second = Mail.code(email, sinceMs = before)
        assertEquals(
            UiMessage(MessageId.VERIFY_EMAIL_SENT, listOf(email, "15")),
            codeSentMessage(" $email ", false, 900uL),
        )
        if (first != second) assertFailsWith<HcException.MailedCodeRefused> { client.verifyEmail(first) }
        var last: HcException.MailedCodeRefused? = null
        while (last?.attemptsLeft != 0u) {
            last = assertFailsWith<HcException.MailedCodeRefused> { client.verifyEmail(wrong(second)) }
        }
        assertEquals(ErrorAction.RequestNewCode, errorAction(last!!))
        assertEquals(MessageId.ERROR_MAILED_CODE_SPENT, errorMessage(last).id)
        assertFalse(client.accountStatus().emailVerified)
    }

    @Test
    fun `a forgotten password is set anew with the mailed code and this phone logs in with it`() = coTest {
        val me = Rig.newAccount()
        val phone = Rig.client()
        val before = System.currentTimeMillis()
        val validFor = phone.forgotPassword(" ${me.email} ")
        // The same answer for an address no account has.
        assertEquals(validFor, phone.forgotPassword(newEmail("nobody")))
        val sent = codeSentMessage(me.email, true, validFor)
        assertEquals(UiMessage(MessageId.FORGOT_PASSWORD_SENT, listOf(me.email, "15")), sent)

        val code = Mail.code(me.email, sinceMs = before)
        val password = "a brand new staple 42"
        assertFailsWith<HcException.PasswordsDiffer> { phone.resetPassword(me.email, code, password, "a brand new stapel 42") }
        val refused = assertFailsWith<HcException.MailedCodeRefused> { phone.resetPassword(me.email, wrong(code), password, password) }
        assertEquals(null, refused.attemptsLeft)
        assertEquals(MessageId.ERROR_MAILED_CODE_REFUSED, errorMessage(refused).id)
        assertFalse(phone.isLoggedIn())

        phone.resetPassword(me.email, code, password, password)
        assertTrue(phone.isLoggedIn())
        phone.devices(true)
        // Every other session ended; the old password no longer logs in.
        assertFailsWith<HcException> { me.client.devices(true) }
        assertFailsWith<HcException.Server> { Rig.client().login(me.email, me.password) }
        val events = phone.feedPage(null, 0u).events
        val reset = events.single { it.kind == FeedEventKind.PASSWORD_RESET }
        assertEquals(MessageId.FEED_PASSWORD_RESET, reset.message.id)
    }
}
