package org.hc.presentation

import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import org.hc.core.ErrorAction
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.ResetScreen
import org.hc.testkit.Mail
import org.junit.jupiter.api.Test

/** The codes the cloud mails (#21): verifying a new account's address, and a forgotten password. */
class MailedCodesTest {
    private val deviceJ by lazy { TestDevice("J") }
    private val deviceK by lazy { TestDevice("K") }

    private fun newEmail(prefix: String) = "$prefix-${UUID.randomUUID()}@example.test"
    private fun newPassword() = "Correct-Horse-${UUID.randomUUID().toString().take(8)}"

    /** Six digits that are not [code]. */
    private fun wrong(code: String) = ((code.toInt() + 1) % 1_000_000).toString().padStart(6, '0')

    @Test
    fun `a new account enters the mailed code and can add its NVR`() = uiTest { scope ->
        val client = Rig.client()
        val login = LoginModel(client, scope)
        val email = newEmail("ui-new")
        val password = newPassword()
        login.register(email, password, password).join()
        assertTrue(login.screen.value.loggedIn)
        assertTrue(login.registered.value, "after registration the app goes to the verify step")

        // Not verified yet: adding the NVR says so and offers the verify step.
        val add = AddDeviceModel(client, scope)
        add.add(deviceJ.serial, deviceJ.labelCode, "Shop NVR").join()
        assertEquals(msg(MessageId.ERROR_EMAIL_NOT_VERIFIED), add.screen.value.error)
        assertEquals(ErrorAction.VerifyEmail, add.screen.value.errorAction)

        val verify = VerifyEmailModel(client, scope)
        verify.open().join()
        assertEquals(email, verify.screen.value.email)
        assertFalse(verify.screen.value.verified)
        // Typed as the mail shows it, with a space in the middle.
        val code = Mail.code(email)
        verify.verify(code.substring(0, 3) + " " + code.substring(3)).join()
        val verified = verify.screen.value
        assertTrue(verified.verified, "${verified.form}")
        assertEquals(msg(MessageId.EMAIL_VERIFIED, email), verified.form.done)
        assertFalse(verified.canResend)

        add.add(deviceJ.serial, deviceJ.labelCode, "Shop NVR").join()
        assertNull(add.screen.value.error, "${add.screen.value}")
        assertEquals(MessageId.DEVICE_ADDED, add.screen.value.done?.id)
    }

    @Test
    fun `an unverified account scanning an NVR for a reset code is sent to the verify step`() = uiTest { scope ->
        val owner = Rig.newAccount()
        owner.client.addDevice(deviceK.serial, deviceK.labelCode, null)
        assertTrue(deviceK.sync())
        val client = Rig.client()
        val password = newPassword()
        client.register(newEmail("ui-unverified"), password, password)
        val reset = ResetPasswordModel(client, scope)
        reset.submitText(deviceK.startHikConnect())
        val failed = assertIs<ResetScreen.Failed>(reset.screen.await { it is ResetScreen.Failed || it is ResetScreen.Code })
        assertEquals(msg(MessageId.ERROR_EMAIL_NOT_VERIFIED), failed.message)
        assertEquals(ErrorAction.VerifyEmail, failed.action)
        reset.close()
    }

    @Test
    fun `a wrong code says how many tries are left and a spent code offers a new one`() = uiTest { scope ->
        val client = Rig.client()
        val email = newEmail("ui-wrong")
        val password = newPassword()
        client.register(email, password, password)
        val code = Mail.code(email)
        val verify = VerifyEmailModel(client, scope)
        verify.open().join()

        // Not six digits: said at once, and no try is spent.
        verify.verify("12345").join()
        assertEquals(msg(MessageId.ERROR_INVALID_MAILED_CODE), verify.screen.value.form.error)
        assertEquals(ErrorAction.CorrectInput, verify.screen.value.form.errorAction)

        verify.verify(wrong(code)).join()
        assertEquals(msg(MessageId.ERROR_MAILED_CODE_WRONG, 4), verify.screen.value.form.error)
        assertFalse(verify.screen.value.offerNewCode)
        repeat(3) { verify.verify(wrong(code)).join() }
        assertEquals(msg(MessageId.ERROR_MAILED_CODE_WRONG, 1), verify.screen.value.form.error)
        verify.verify(wrong(code)).join()
        assertEquals(msg(MessageId.ERROR_MAILED_CODE_SPENT), verify.screen.value.form.error)
        assertTrue(verify.screen.value.offerNewCode, "a spent code offers \"Send a new code\"")
        // Out of tries, even the right code no longer works.
        verify.verify(code).join()
        assertFalse(verify.screen.value.verified)

        val before = System.currentTimeMillis()
        verify.resend().join()
        assertEquals(msg(MessageId.VERIFY_EMAIL_SENT, email, 15), verify.screen.value.codeSent)
        assertNull(verify.screen.value.form.error)
        verify.verify(Mail.code(email, sinceMs = before)).join()
        assertTrue(verify.screen.value.verified, "${verify.screen.value.form}")
    }

    @Test
    fun `new codes are rate limited and the wait counts down before the next`() = uiTest { scope ->
        val client = Rig.client()
        val email = newEmail("ui-resend")
        val password = newPassword()
        client.register(email, password, password)
        val clock = FakeClock()
        val verify = VerifyEmailModel(client, scope, clock)
        var sent = 0
        while (verify.screen.value.form.errorAction !is ErrorAction.WaitThenRetry) {
            assertTrue(verify.screen.value.canResend)
            verify.resend().join()
            assertTrue(++sent <= 10, "the cloud never limited new codes")
        }
        val wait = (verify.screen.value.form.errorAction as ErrorAction.WaitThenRetry).seconds.toLong()
        assertEquals(msg(MessageId.ERROR_RATE_LIMITED, wait), verify.screen.value.form.error)
        assertEquals(wait, verify.screen.value.resendWaitSecs)
        assertFalse(verify.screen.value.canResend)

        clock.set(clock.nowUnix() + wait - 10); verify.tick()
        assertEquals(10L, verify.screen.value.resendWaitSecs)
        clock.set(clock.nowUnix() + 10); verify.tick()
        assertNull(verify.screen.value.resendWaitSecs)
        assertTrue(verify.screen.value.canResend)
    }

    @Test
    fun `forgot password says the same words for an address without an account`() = uiTest { scope ->
        val me = Rig.newAccount()
        val nobody = newEmail("ui-nobody")
        val mine = ForgotPasswordModel(Rig.client(), scope)
        val theirs = ForgotPasswordModel(Rig.client(), scope)
        assertEquals(ForgotPasswordStep.ADDRESS, mine.screen.value.step)
        mine.send(" ${me.email} ").join()
        theirs.send(nobody).join()
        for ((model, email) in listOf(mine to me.email, theirs to nobody)) {
            val screen = model.screen.value
            assertEquals(ForgotPasswordStep.CODE, screen.step, "${screen.form}")
            assertEquals(msg(MessageId.FORGOT_PASSWORD_SENT, email, 15), screen.codeSent)
        }
        // A wrong code is refused alike: the cloud says nothing of the account.
        val password = newPassword()
        mine.reset("000000", password, password).join()
        theirs.reset("000000", password, password).join()
        assertEquals(msg(MessageId.ERROR_MAILED_CODE_REFUSED), mine.screen.value.form.error)
        assertEquals(mine.screen.value.form, theirs.screen.value.form)
        assertEquals(ForgotPasswordStep.CODE, theirs.screen.value.step)

        theirs.otherAddress()
        assertEquals(ForgotPasswordStep.ADDRESS, theirs.screen.value.step)
    }

    @Test
    fun `the new password signs in and every other phone is logged out`() = uiTest { scope ->
        val me = Rig.newAccount()
        val otherPhone = Rig.client()
        otherPhone.login(me.email, me.password)

        val phone = Rig.client()
        val login = LoginModel(phone, scope)
        val forgot = ForgotPasswordModel(phone, scope)
        val before = System.currentTimeMillis()
        forgot.send(me.email).join()
        val code = Mail.code(me.email, sinceMs = before)
        val password = newPassword()
        assertNull(forgot.passwordProblem(password, password))
        assertEquals(msg(MessageId.ERROR_PASSWORDS_DIFFER), forgot.passwordProblem(password, password + "x"))
        forgot.reset(code, password, password + "x").join()
        assertEquals(msg(MessageId.ERROR_PASSWORDS_DIFFER), forgot.screen.value.form.error)
        assertEquals(ForgotPasswordStep.CODE, forgot.screen.value.step)

        forgot.reset(code, password, password).join()
        val done = forgot.screen.value
        assertEquals(ForgotPasswordStep.SIGNED_IN, done.step, "${done.form}")
        assertEquals(msg(MessageId.PASSWORD_RESET_DONE), done.form.done)
        assertTrue(done.form.loggedIn)
        login.sessionChanged()
        assertTrue(login.screen.value.loggedIn, "the login screen follows to the devices")
        assertNotNull(phone.devices(true))
        // The owner's security feed tells of it, in the core's words.
        val feed = SecurityFeedModel(phone, scope)
        feed.open()
        feed.screen.await { screen -> screen.events.any { it.message == msg(MessageId.FEED_PASSWORD_RESET) } }
        feed.close()

        assertFailsWith<HcException> { otherPhone.devices(true) }
        val old = LoginModel(Rig.client(), scope)
        old.login(me.email, me.password).join()
        assertEquals(msg(MessageId.ERROR_INVALID_CREDENTIALS), old.screen.value.error)
        old.login(me.email, password).join()
        assertTrue(old.screen.value.loggedIn)
    }
}
