package org.hc.presentation

import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import org.hc.core.ErrorAction
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.ResetScreen
import org.hc.core.TransferState
import org.junit.jupiter.api.Test

/**
 * The owner's security feed and moving a device between accounts (DESIGN.md section 9), driven by
 * the real core against the real cloud and simulated NVRs. Every account here is "ui-…@example.test",
 * which other accounts see masked as [masked].
 */
class FeedAndTransfersTest {
    private val deviceG by lazy { TestDevice("G") }
    private val deviceH by lazy { TestDevice("H") }
    private val deviceI by lazy { TestDevice("I") }
    private val masked = "ui***@example.test"

    @Test
    fun `another account asks for a code for my NVR — my feed shows it as it happens`() = uiTest { scope ->
        val me = Rig.newAccount()
        me.client.addDevice(deviceG.serial, deviceG.labelCode, "Shop NVR")
        assertTrue(deviceG.sync())
        val feed = SecurityFeedModel(me.client, scope)
        feed.open()
        assertTrue(feed.screen.value.live)
        // What happened before the screen opened is listed too.
        val before = me.client.feedPage(null, 0u).events.size
        feed.screen.await { it.events.size == before }

        // The installer, logged in to their own account, scans my NVR's QR code: refused, and my
        // feed says so while the screen is open, newest on top, masked.
        val qr = deviceG.startHikConnect()
        val installer = Rig.newAccount()
        val refused = ResetPasswordModel(installer.client, scope)
        refused.submitText(qr)
        assertIs<ResetScreen.Failed>(refused.screen.await { it is ResetScreen.Failed || it is ResetScreen.Code })
        refused.close()
        val attempt = feed.screen.await { it.events.size > before }.events.first()
        assertEquals(msg(MessageId.FEED_RESET_ATTEMPT_REFUSED, masked, deviceG.serial), attempt.message)
        assertTrue(installer.email !in attempt.message.args)

        // Then I get a code myself: it is on top of the attempt.
        me.client.requestResetCode(deviceG.startHikConnect())
        val issued = feed.screen.await { it.events.size > before + 1 }
        assertEquals(msg(MessageId.FEED_RESET_CODE_ISSUED, deviceG.serial), issued.events.first().message)
        assertEquals(issued.events.map { it.id }.sortedDescending(), issued.events.map { it.id })

        // Leaving the screen stops the stream; coming back resumes after the newest event shown.
        feed.close()
        assertTrue(!feed.screen.value.live)
        Rig.client().login(me.email, me.password)
        feed.open()
        val again = feed.screen.await { it.events.size > before + 2 }
        assertEquals(MessageId.FEED_NEW_LOGIN, again.events.first().message.id)
        assertEquals(again.events.map { it.id }.distinct(), again.events.map { it.id }, "nothing twice")
        feed.close()
    }

    @Test
    fun `the NVR was added by the installer — the note offers the transfer, the installer approves and it is mine`() = uiTest { scope ->
        val installer = Rig.newAccount()
        installer.client.addDevice(deviceH.serial, deviceH.labelCode, "Installed for the shop")
        assertTrue(deviceH.sync())
        val me = Rig.newAccount()
        val myFeed = SecurityFeedModel(me.client, scope)
        myFeed.open()

        // At the NVR, More > Reset Device Password: the vendor's note, and under it the way out.
        val reset = ResetPasswordModel(me.client, scope)
        reset.submitText(deviceH.startHikConnect())
        val note = assertIs<ResetScreen.Failed>(reset.screen.await { it is ResetScreen.Failed || it is ResetScreen.Code })
        assertEquals(msg(MessageId.ERROR_DEVICE_ADDED_BY_OTHERS, deviceH.serial), note.message)
        assertEquals(ErrorAction.ContactOwner, note.action)
        assertEquals(msg(MessageId.HINT_REQUEST_TRANSFER, deviceH.serial), note.hint)
        assertEquals(deviceH.serial, note.transferSerial)
        reset.close()
        // Adding it with its label code says the same, with the same offer.
        val add = AddDeviceModel(me.client, scope)
        add.add(deviceH.serial, deviceH.labelCode, null).join()
        assertEquals(msg(MessageId.ERROR_DEVICE_ADDED_BY_OTHERS, deviceH.serial), add.screen.value.error)
        assertEquals(deviceH.serial, add.screen.value.transferSerial)

        // "Ask for this device": a fresh QR code off the NVR's screen and the label code.
        val clock = FakeClock()
        val ask = RequestTransferModel(me.client, scope, clock, serial = note.transferSerial)
        assertEquals(RequestTransferScreen.Form(deviceH.serial), ask.screen.value)
        deviceH.startHikConnect()
        ask.requestFromImage(deviceH.qrPng(), deviceH.labelCode.lowercase()).join()
        val requested = assertIs<RequestTransferScreen.Requested>(ask.screen.value, "${ask.screen.value}").row
        assertEquals(TransferState.OPEN, requested.transfer.state)
        assertEquals(MessageId.TRANSFER_OUTGOING_OPEN, requested.message.id)
        assertEquals(listOf(deviceH.serial, masked), requested.message.args.let { listOf(it[0], it[2]) })
        assertTrue(!requested.canDecide, "the new owner waits; only the current owner decides")

        // My pending request counts down to the end of the waiting period.
        val mine = TransfersModel(me.client, scope, clock)
        mine.refresh().join()
        val pending = mine.screen.value.rows.single()
        assertEquals(requested.transfer.id, pending.transfer.id)
        clock.set(pending.transfer.completesAtUnix - 3 * 3600 - 5); mine.tick()
        assertEquals(msg(MessageId.TRANSFER_OUTGOING_OPEN, deviceH.serial, "3:00:05", masked), mine.screen.value.rows.single().message)
        clock.set(pending.transfer.completesAtUnix - 5); mine.tick()
        assertEquals("0:05", mine.screen.value.rows.single().countdown?.text)
        assertTrue(mine.screen.value.awaitingMe.isEmpty())

        // The installer's phone: the request waits for an answer; Approve moves the NVR at once.
        val theirs = TransfersModel(installer.client, scope)
        theirs.refresh().join()
        val incoming = theirs.screen.value.awaitingMe.single()
        assertEquals(TransferState.OPEN, incoming.transfer.state)
        assertEquals(MessageId.TRANSFER_INCOMING_OPEN, incoming.message.id)
        assertEquals(listOf(deviceH.serial, masked), incoming.message.args.let { listOf(it[0], it[2]) })
        theirs.approve(incoming.transfer.id).join()
        val approved = theirs.screen.value.rows.single()
        assertEquals(TransferState.APPROVED, approved.transfer.state)
        assertEquals(msg(MessageId.FEED_TRANSFER_APPROVED, masked, deviceH.serial), approved.message)
        assertTrue(theirs.screen.value.awaitingMe.isEmpty() && approved.countdown == null)

        // My feed heard both steps; the NVR is in my list.
        val feed = myFeed.screen.await { s -> s.events.any { it.message.id == MessageId.FEED_TRANSFER_APPROVED } }
        assertEquals(
            listOf(msg(MessageId.FEED_TRANSFER_APPROVED, masked, deviceH.serial), msg(MessageId.FEED_TRANSFER_REQUESTED, masked, deviceH.serial)),
            feed.events.filter { it.transferId == incoming.transfer.id }.map { it.message },
        )
        myFeed.close()
        mine.onFeedEvent(feed.events.first())
        val moved = mine.screen.await { s -> s.rows.singleOrNull()?.transfer?.state == TransferState.APPROVED }
        assertEquals(msg(MessageId.FEED_TRANSFER_APPROVED, masked, deviceH.serial), moved.rows.single().message)
        mine.close()
        val devices = DeviceListModel(me.client, scope)
        devices.refresh(force = true).join()
        assertEquals(listOf(deviceH.serial), devices.screen.value.devices.map { it.serial })

        // Once the NVR has synced, its Reset Device Password gives me the code it accepts.
        assertTrue(deviceH.sync())
        val mineNow = ResetPasswordModel(me.client, scope)
        mineNow.submitText(deviceH.startHikConnect())
        val code = assertIs<ResetScreen.Code>(mineNow.screen.await { it is ResetScreen.Failed || it is ResetScreen.Code }).code
        assertTrue(deviceH.verify(code.code).ok, "the NVR refused ${code.code}")
        mineNow.close()
    }

    @Test
    fun `someone at my NVR asks for it — I refuse, it stays mine and they cannot ask again`() = uiTest { scope ->
        val me = Rig.newAccount()
        me.client.addDevice(deviceI.serial, deviceI.labelCode, "Home NVR")
        assertTrue(deviceI.sync())
        val feed = SecurityFeedModel(me.client, scope)
        val transfers = TransfersModel(me.client, scope)
        transfers.refresh().join()
        assertTrue(transfers.screen.value.empty)
        feed.open()

        val stranger = Rig.newAccount()
        deviceI.startHikConnect()
        val ask = RequestTransferModel(stranger.client, scope)
        ask.requestFromImage(deviceI.qrPng(), deviceI.labelCode).join()
        assertIs<RequestTransferScreen.Requested>(ask.screen.value, "${ask.screen.value}")

        // My feed hears the request as it happens; the transfers screen follows it.
        val heard = feed.screen.await { s -> s.events.any { it.message.id == MessageId.FEED_TRANSFER_REQUESTED } }
        val request = heard.events.first { it.message.id == MessageId.FEED_TRANSFER_REQUESTED }
        assertEquals(msg(MessageId.FEED_TRANSFER_REQUESTED, masked, deviceI.serial), request.message)
        transfers.onFeedEvent(request)
        val waiting = transfers.screen.await { it.awaitingMe.isNotEmpty() }.awaitingMe.single()
        assertEquals(request.transferId, waiting.transfer.id)
        transfers.refuse(waiting.transfer.id).join()
        val refused = transfers.screen.value.rows.single()
        assertEquals(msg(MessageId.FEED_TRANSFER_REFUSED, masked, deviceI.serial), refused.message)
        assertTrue(!refused.canDecide)
        feed.screen.await { s -> s.events.any { it.message.id == MessageId.FEED_TRANSFER_REFUSED } }
        feed.close()
        transfers.close()

        // The stranger's own list says refused; asking again with a fresh QR is turned down.
        val theirs = TransfersModel(stranger.client, scope)
        theirs.refresh().join()
        assertEquals(msg(MessageId.FEED_TRANSFER_REFUSED, masked, deviceI.serial), theirs.screen.value.rows.single().message)
        ask.again()
        deviceI.startHikConnect()
        ask.requestFromImage(deviceI.qrPng(), deviceI.labelCode).join()
        val no = assertIs<RequestTransferScreen.Failed>(ask.screen.value, "${ask.screen.value}")
        assertEquals(msg(MessageId.ERROR_TRANSFER_REFUSED_RECENTLY), no.message)
        val devices = DeviceListModel(me.client, scope)
        devices.refresh(force = true).join()
        assertEquals(listOf(deviceI.serial), devices.screen.value.devices.map { it.serial })
    }

    @Test
    fun `another thing's QR code, or a picture with none, is said plainly on the request screen`() = uiTest { scope ->
        // Refused by the core before anything is sent.
        val stranger = Rig.newAccount()
        val ask = RequestTransferModel(stranger.client, scope)
        ask.request("https://example.com/menu", "ABCDEF").join()
        val notQr = assertIs<RequestTransferScreen.Failed>(ask.screen.value)
        assertEquals(msg(MessageId.ERROR_NOT_A_RESET_QR), notQr.message)
        ask.requestFromImage(ByteArray(0), "ABCDEF").join()
        assertNotNull(assertIs<RequestTransferScreen.Failed>(ask.screen.value).message)
        ask.again()
        assertEquals(RequestTransferScreen.Form(null), ask.screen.value)
    }

    @Test
    fun `without a session the feed says to log in`() = uiTest { scope ->
        val feed = SecurityFeedModel(Rig.client(), scope)
        feed.open().join()
        assertEquals(msg(MessageId.ERROR_NOT_LOGGED_IN), feed.screen.value.error)
        assertEquals(ErrorAction.LogIn, feed.screen.value.errorAction)
        assertTrue(!feed.screen.value.live)
        assertIs<HcException>(runCatching { Rig.client().transfers() }.exceptionOrNull())
    }
}
