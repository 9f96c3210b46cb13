package org.hc.presentation

import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.hc.core.AccountScreen
import org.hc.core.AuditActor
import org.hc.core.passwordRuleMessage
import org.hc.core.FrameFormat
import org.hc.core.ErrorAction
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.ResetScreen
import org.hc.testkit.Frames
import org.junit.jupiter.api.Test

/** The screens driven by the real core against the real cloud and simulated NVRs. */
class ScreensTest {
    private val deviceA by lazy { TestDevice("A") }
    private val deviceB by lazy { TestDevice("B") }
    private val deviceC by lazy { TestDevice("C") }
    private val deviceD by lazy { TestDevice("D") }
    private val deviceE by lazy { TestDevice("E") }
    private val deviceF by lazy { TestDevice("F") }

    @Test
    fun `scanning the NVR's QR with the camera says too dark in a dark room, then shows the grouped code and its countdown`() = uiTest { scope ->
        val me = Rig.newAccount()
        me.client.addDevice(deviceA.serial, deviceA.labelCode, "Shop NVR")
        assertTrue(deviceA.sync())
        deviceA.startHikConnect()
        val clock = FakeClock()
        val model = ResetPasswordModel(me.client, scope, clock)
        assertEquals(ResetScreen.Scanning(msg(MessageId.SCAN_HINT)), model.screen.value)
        assertTrue(model.wantsFrames)

        // Pointed at the device in an unlit room: the scanner says why it cannot read, and keeps looking.
        val png = deviceA.qrPng()
        val lit = Frames.frame(png, FrameFormat.LUMA8)
        model.submitFrame(lit.copy(bytes = ByteArray(lit.bytes.size) { 4 }))
        assertEquals(
            ResetScreen.Scanning(msg(MessageId.SCAN_HINT_TOO_DARK)),
            model.screen.await { it != ResetScreen.Scanning(msg(MessageId.SCAN_HINT)) },
        )
        assertTrue(model.wantsFrames)

        // The analyzer: the QR on the monitor, mounted rotated, rows padded.
        model.submitFrame(cameraFrame(png, rotationDegrees = 90))
        val screen = model.screen.await { it is ResetScreen.Code || it is ResetScreen.Failed }
        val code = assertIs<ResetScreen.Code>(screen, "$screen").code
        assertEquals(deviceA.serial, code.serial)
        assertEquals(8, code.code.length)
        assertEquals(code.code.substring(0, 4) + " " + code.code.substring(4), code.groupedCode)
        assertEquals(msg(MessageId.CODE_INSTRUCTIONS), code.instructions)
        assertTrue(!model.wantsFrames)

        // The countdown, second by second of the phone's clock.
        clock.set(code.expiresAtUnix - 599); model.tick()
        assertEquals(msg(MessageId.CODE_VALID_FOR, "9:59"), (model.screen.value as ResetScreen.Code).code.countdown)
        clock.set(code.expiresAtUnix - 5); model.tick()
        assertEquals(msg(MessageId.CODE_VALID_FOR, "0:05"), (model.screen.value as ResetScreen.Code).code.countdown)
        clock.set(code.expiresAtUnix + 1); model.tick()
        val expired = (model.screen.value as ResetScreen.Code).code
        assertTrue(expired.expired)
        assertEquals(msg(MessageId.CODE_EXPIRED), expired.countdown)

        // The code the screen shows is the one the NVR accepts.
        assertTrue(deviceA.verify(code.code).ok, "the NVR refused ${code.code}")

        // Leaving the code screen goes back to the camera.
        model.scanAgain()
        model.screen.await { it is ResetScreen.Scanning }
        model.close()
    }

    @Test
    fun `the QR text typed by hand shows the code, vibrates once and keeps the screen on until it expires`() = uiTest { scope ->
        val me = Rig.newAccount()
        me.client.addDevice(deviceD.serial, deviceD.labelCode, null)
        assertTrue(deviceD.sync())
        val qrText = deviceD.startHikConnect()
        val clock = FakeClock()
        val haptics = CountingHaptics()
        val model = ResetPasswordModel(me.client, scope, clock, haptics)
        assertTrue(model.keepScreenOn.value, "the scanner keeps the display awake")

        // Typed as a person would: a line break where the device's page wraps it, partly in lower case.
        model.submitText(" ${qrText.substring(0, 40)}\n${qrText.substring(40).lowercase()} ")
        val code = assertIs<ResetScreen.Code>(model.screen.await { it is ResetScreen.Code || it is ResetScreen.Failed }).code
        assertEquals(deviceD.serial, code.serial)
        assertEquals(1, haptics.vibrations)
        assertTrue(model.keepScreenOn.value)
        // The countdown ticks; the code on screen buzzed once, however often it is drawn again.
        repeat(3) { clock.set(code.expiresAtUnix - 10 + it); model.tick() }
        assertEquals(1, haptics.vibrations)
        clock.set(code.expiresAtUnix); model.tick()
        assertEquals(msg(MessageId.CODE_EXPIRED), (model.screen.value as ResetScreen.Code).code.countdown)
        assertEquals(false, model.keepScreenOn.value, "an expired code lets the display sleep")
        model.close()
    }

    @Test
    fun `pinching zooms within the camera's range and tapping focuses there until the camera has focused`() = uiTest { scope ->
        val model = ResetPasswordModel(Rig.client(), scope)
        assertNull(model.viewfinder.value, "no zoom before the camera opened")
        assertNull(model.tapped(0.5f, 0.5f))
        model.cameraOpened(0.6f, 10f)
        assertEquals(1f, model.viewfinder.value?.zoom)
        model.pinched(2f); model.pinched(1.5f)
        assertEquals(3f, model.viewfinder.value?.zoom)
        model.pinched(100f)
        assertEquals(10f, model.viewfinder.value?.zoom, "the zoom stops at the camera's limit")
        model.pinched(0.001f)
        assertEquals(0.6f, model.viewfinder.value?.zoom)

        val first = model.tapped(0.25f, 0.75f)!!
        assertEquals(0.25f to 0.75f, first.x to first.y)
        val second = model.tapped(1.5f, 0.5f)!!
        assertEquals(1f, second.x, "a tap is kept inside the preview")
        model.focused(first.tap)
        assertEquals(second, model.viewfinder.value?.focus, "an earlier tap's answer leaves the new ring")
        model.focused(second.tap)
        assertNull(model.viewfinder.value?.focus)
        model.close()
    }

    @Test
    fun `removing a device asks first and cancel keeps it`() = uiTest { scope ->
        val me = Rig.newAccount()
        me.client.addDevice(deviceE.serial, deviceE.labelCode, "Back office")
        val devices = DeviceListModel(me.client, scope)
        devices.refresh(force = true).join()
        devices.askToRemove(deviceE.serial)
        assertEquals("Back office", devices.screen.value.confirmRemoval?.name)
        devices.cancelRemoval()
        assertNull(devices.screen.value.confirmRemoval)
        devices.refresh(force = true).join()
        assertEquals(listOf(deviceE.serial), devices.screen.value.devices.map { it.serial })

        devices.askToRemove(deviceE.serial)
        devices.confirmRemoval().join()
        assertTrue(devices.screen.value.devices.isEmpty(), "${devices.screen.value}")
        assertEquals(msg(MessageId.DEVICES_EMPTY), devices.screen.value.empty)
        // Nothing asked, nothing removed.
        devices.confirmRemoval().join()
        assertNull(devices.screen.value.error)
    }

    @Test
    fun `a device not in my account shows the vendor's not-added note with an Add device button`() = uiTest { scope ->
        // Added, seen by the NVR, then removed from the account while the NVR was offline: the NVR
        // still offers Verify by Hik-Connect, the account no longer has the device.
        val me = Rig.newAccount()
        me.client.addDevice(deviceB.serial, deviceB.labelCode, null)
        assertTrue(deviceB.sync())
        deviceB.startHikConnect()
        me.client.removeDevice(deviceB.serial)

        val model = ResetPasswordModel(me.client, scope)
        model.submitImage(deviceB.qrPng()) // "pick a photo": a screenshot of the NVR screen
        val failed = assertIs<ResetScreen.Failed>(
            model.screen.await { it is ResetScreen.Failed || it is ResetScreen.Code })
        assertEquals(msg(MessageId.ERROR_DEVICE_NOT_ADDED, deviceB.serial), failed.message)
        assertEquals(ErrorAction.AddDevice, failed.action)

        // Meanwhile someone else adds it; adding it now: the vendor's other note.
        Rig.newAccount().client.addDevice(deviceB.serial, deviceB.labelCode, null)
        val add = AddDeviceModel(me.client, scope)
        add.add(deviceB.serial.lowercase(), deviceB.labelCode, "Not mine").join()
        assertEquals(msg(MessageId.ERROR_DEVICE_ADDED_BY_OTHERS, deviceB.serial), add.screen.value.error)
        assertEquals(ErrorAction.ContactOwner, add.screen.value.errorAction)
        model.close()
    }

    @Test
    fun `a device given away while my list is stale shows the added-by-others note`() = uiTest { scope ->
        val me = Rig.newAccount()
        // Typed with spaces, dashes and in lower case: the core adds it as printed on the label.
        val add = AddDeviceModel(me.client, scope)
        add.add(" " + deviceC.serial.lowercase().chunked(4).joinToString(" - "), deviceC.labelCode.lowercase(), " Old NVR ").join()
        assertEquals(AccountScreen(loggedIn = true, done = msg(MessageId.DEVICE_ADDED, deviceC.serial)), add.screen.value)
        val devices = DeviceListModel(me.client, scope)
        devices.refresh(force = true).join()
        assertEquals(listOf(deviceC.serial to "Old NVR"), devices.screen.value.devices.map { it.serial to it.name })

        val otherPhone = Rig.client()
        otherPhone.login(me.email, me.password)
        otherPhone.removeDevice(deviceC.serial)
        Rig.newAccount().client.addDevice(deviceC.serial, deviceC.labelCode, null)
        assertTrue(deviceC.sync())
        deviceC.startHikConnect()

        val model = ResetPasswordModel(me.client, scope)
        model.submitImage(deviceC.qrPng())
        val failed = assertIs<ResetScreen.Failed>(
            model.screen.await { it is ResetScreen.Failed || it is ResetScreen.Code })
        assertEquals(msg(MessageId.ERROR_DEVICE_ADDED_BY_OTHERS, deviceC.serial), failed.message)
        assertEquals(ErrorAction.ContactOwner, failed.action)
        assertIs<HcException.DeviceAddedByOthers>(failed.error)
        model.close()
    }

    @Test
    fun `a QR code of something else says it is not a reset code`() = uiTest { scope ->
        val me = Rig.newAccount()
        val model = ResetPasswordModel(me.client, scope)
        model.submitText("https://example.com/menu")
        val failed = assertIs<ResetScreen.Failed>(model.screen.await { it is ResetScreen.Failed })
        assertEquals(msg(MessageId.ERROR_NOT_A_RESET_QR), failed.message)
        model.scanAgain()
        model.screen.await { it is ResetScreen.Scanning }
        // Nothing typed is no code at all, not a wrong one.
        model.submitText(" ")
        val nothing = assertIs<ResetScreen.Failed>(model.screen.await { it is ResetScreen.Failed })
        assertEquals(msg(MessageId.SCAN_HINT_NO_CODE), nothing.message)
        assertEquals(ErrorAction.ScanAgain, nothing.action)
        model.scanAgain()
        model.screen.await { it is ResetScreen.Scanning }
        model.close()
    }

    @Test
    fun `offline, the device list is the cached one with its age`() = uiTest { scope ->
        val me = Rig.newAccount()
        val online = DeviceListModel(me.client, scope)
        online.refresh(force = true).join()
        val fresh = online.screen.value
        assertEquals(false, fresh.fromCache)
        assertNull(fresh.cacheAge)
        assertEquals(msg(MessageId.DEVICES_EMPTY), fresh.empty)

        // The next launch, with no network: same secure store, the cloud out of reach.
        val offlineClient = Rig.client(me.store.withCloudAt(Rig.cloudUrl, "http://127.0.0.1:9"), cloudUrl = "http://127.0.0.1:9")
        val clock = FakeClock(fresh.fetchedAtUnix!! + 10 * 60 + 5)
        val offline = DeviceListModel(offlineClient, scope, clock)
        offline.refresh(force = true).join()
        val screen = offline.screen.value
        assertNull(screen.error, "$screen")
        assertTrue(screen.fromCache)
        assertEquals(msg(MessageId.DEVICES_UPDATED_MINUTES_AGO, "10"), screen.cacheAge)
        assertEquals(msg(MessageId.DEVICES_SAVED_LIST), screen.savedList, "the list says it is the one saved on this phone")
        clock.set(fresh.fetchedAtUnix!! + 2 * 3600); offline.tick()
        assertEquals(msg(MessageId.DEVICES_UPDATED_HOURS_AGO, "2"), offline.screen.value.cacheAge)
        assertEquals(msg(MessageId.DEVICES_SAVED_LIST), offline.screen.value.savedList)
        // Online again, served from the cache while fresh: nothing to warn about.
        val back = DeviceListModel(me.client, scope)
        back.refresh().join()
        assertTrue(back.screen.value.fromCache)
        assertNull(back.screen.value.savedList)
    }

    @Test
    fun `a wrong password is said plainly and a new account logs in`() = uiTest { scope ->
        val me = Rig.newAccount()
        val login = LoginModel(Rig.client(), scope)
        assertEquals(false, login.screen.value.loggedIn)
        login.login(me.email, "not-the-password").join()
        assertEquals(
            AccountScreen(error = msg(MessageId.ERROR_INVALID_CREDENTIALS), errorAction = ErrorAction.CorrectInput),
            login.screen.value,
        )
        login.login(" ${me.email} ", me.password).join()
        assertEquals(AccountScreen(loggedIn = true), login.screen.value)

        val register = LoginModel(Rig.client(), scope)
        register.register("new-${System.nanoTime()}@example.test", "Another-Good-Pass-42").join()
        assertEquals(AccountScreen(loggedIn = true), register.screen.value)
        register.register(me.email, "Another-Good-Pass-42").join()
        assertEquals(msg(MessageId.ERROR_EMAIL_TAKEN), register.screen.value.error)
    }

    @Test
    fun `a lost phone is logged out by a password change and log out everywhere ends this phone too`() = uiTest { scope ->
        val me = Rig.newAccount()
        val lostPhone = Rig.client()
        lostPhone.login(me.email, me.password)
        lostPhone.devices(true)

        val security = AccountSecurityModel(me.client, scope)
        security.changePassword("not-the-password", "Another-Good-Pass-42").join()
        assertEquals(msg(MessageId.ERROR_INVALID_CREDENTIALS), security.screen.value.error)
        security.changePassword(me.password, "Another-Good-Pass-42").join()
        assertEquals(AccountScreen(loggedIn = true, done = msg(MessageId.PASSWORD_CHANGED)), security.screen.value)
        assertIs<HcException.SessionExpired>(runCatching { lostPhone.devices(true) }.exceptionOrNull())
        me.client.devices(true) // this phone works on

        security.logOutEverywhere().join()
        assertEquals(AccountScreen(loggedIn = false, done = msg(MessageId.LOGGED_OUT_EVERYWHERE)), security.screen.value)
        val login = LoginModel(Rig.client(), scope)
        login.login(me.email, me.password).join()
        assertEquals(msg(MessageId.ERROR_INVALID_CREDENTIALS), login.screen.value.error, "the old password is gone")
    }

    @Test
    fun `registering states the core's password rule, says live when it is too weak or the two differ, then logs in`() = uiTest { scope ->
        val login = LoginModel(Rig.client(), scope)
        assertEquals(passwordRuleMessage(), login.passwordRule)
        assertEquals(MessageId.PASSWORD_RULE, login.passwordRule.id)
        val email = "new-${System.nanoTime()}@example.test"
        assertNull(login.passwordProblem(email, "", ""), "nothing typed, nothing said")
        assertEquals(msg(MessageId.ERROR_PASSWORD_TOO_SHORT), login.passwordProblem(email, "short", ""))
        assertEquals(msg(MessageId.ERROR_PASSWORD_COMMON), login.passwordProblem(email, "password123", ""))
        assertNull(login.passwordProblem(email, "correct horse battery staple", ""), "the confirmation not typed yet")
        assertEquals(msg(MessageId.ERROR_PASSWORDS_DIFFER), login.passwordProblem(email, "correct horse battery staple", "correct horse"))
        assertNull(login.passwordProblem(email, "correct horse battery staple", "correct horse battery staple"))

        login.register(email, "correct horse battery staple", "correct horse battery stapel").join()
        assertEquals(msg(MessageId.ERROR_PASSWORDS_DIFFER), login.screen.value.error)
        assertTrue(!login.screen.value.loggedIn)
        login.register(email, "correct horse battery staple", "correct horse battery staple").join()
        assertEquals(AccountScreen(loggedIn = true), login.screen.value)
    }

    @Test
    fun `pointed at the NVR's address the login screen says the saved session is another cloud's and the address is not an hc cloud`() = uiTest { scope ->
        val store = MemoryStore()
        org.hc.testkit.registeredAccount(Rig.client(store), store, prefix = "ui")
        val nvr = deviceF.nvrUrl
        val login = LoginModel(Rig.client(store, cloudUrl = nvr), scope)
        val opening = login.screen.value
        assertTrue(!opening.loggedIn)
        assertEquals(MessageId.ERROR_SESSION_FOR_OTHER_CLOUD, opening.error?.id)
        assertEquals(listOf(Rig.cloudUrl.trimEnd('/')), opening.error?.args)
        assertEquals(ErrorAction.LogIn, opening.errorAction)

        login.login("someone@example.test", "correct horse battery staple").join()
        assertEquals(MessageId.ERROR_NOT_AN_HC_CLOUD, login.screen.value.error?.id)
        assertTrue(!login.screen.value.loggedIn)
        // Its own cloud still has the session.
        assertTrue(Rig.client(store).isLoggedIn())
    }

    @Test
    fun `my account activity shows another account's attempt masked and Show older pages back`() = uiTest { scope ->
        val me = Rig.newAccount()
        me.client.addDevice(deviceF.serial, deviceF.labelCode, "Shop NVR")
        assertTrue(deviceF.sync())
        val qr = deviceF.startHikConnect()
        // The installer, logged in to their own account, scans the owner's NVR: refused.
        val installer = Rig.newAccount()
        assertIs<HcException.DeviceAddedByOthers>(runCatching { installer.client.requestResetCode(qr) }.exceptionOrNull())
        // Then the owner gets a code, twice.
        repeat(2) { me.client.requestResetCode(qr) }

        val audit = AuditModel(me.client, scope, pageSize = 2u)
        audit.refresh().join()
        val first = audit.screen.value
        assertEquals(listOf(msg(MessageId.AUDIT_ISSUED, deviceF.serial), msg(MessageId.AUDIT_ISSUED, deviceF.serial)), first.events.map { it.message })
        assertEquals(listOf<AuditActor>(AuditActor.You, AuditActor.You), first.events.map { it.actor })
        assertTrue(first.hasMore, "$first")

        audit.more().join()
        val all = audit.screen.value
        assertEquals(3, all.events.size, "$all")
        val attempt = all.events.last()
        val masked = "ui***@example.test"
        assertEquals(AuditActor.OtherAccount(masked), attempt.actor)
        assertEquals(msg(MessageId.AUDIT_OTHER_ACCOUNT_REFUSED, masked, deviceF.serial), attempt.message)
        assertTrue(installer.email !in attempt.message.args)
        assertTrue(!all.hasMore && !all.empty && all.error == null, "$all")
        audit.more().join() // nothing older: nothing happens
        assertEquals(all, audit.screen.value)
    }

    @Test
    fun `a new account's activity says nothing is recorded`() = uiTest { scope ->
        val audit = AuditModel(Rig.newAccount().client, scope)
        audit.refresh().join()
        assertEquals(AuditScreen(empty = true), audit.screen.value)
    }
}
