package org.hc.presentation

import kotlin.test.assertEquals
import org.junit.jupiter.api.Test

class FormattingTest {
    @Test
    fun `codes are grouped by four for reading aloud`() {
        assertEquals("6078 4413", groupCode("60784413"))
        assertEquals("0000 0001", groupCode("00000001"))
        assertEquals("123", groupCode("123"))
    }

    @Test
    fun `the countdown reads minutes and seconds`() {
        assertEquals("10:00", countdownText(600))
        assertEquals("9:59", countdownText(599))
        assertEquals("0:05", countdownText(5))
        assertEquals("0:00", countdownText(-3))
        assertEquals("1:00:00", countdownText(3600))
        assertEquals(UiMessage(MessageId.CODE_VALID_FOR, "1:01"), countdownMessage(1_000_061, 1_000_000))
        assertEquals(UiMessage(MessageId.CODE_EXPIRED), countdownMessage(1_000_000, 1_000_000))
        assertEquals(UiMessage(MessageId.CODE_EXPIRED), countdownMessage(1_000_000, 1_000_100))
    }

    @Test
    fun `the cache age is in whole minutes, hours or days`() {
        val t = 1_700_000_000L
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_JUST_NOW), cacheAgeMessage(t, t + 59))
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_MINUTES_AGO, "1"), cacheAgeMessage(t, t + 60))
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_MINUTES_AGO, "59"), cacheAgeMessage(t, t + 3599))
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_HOURS_AGO, "2"), cacheAgeMessage(t, t + 7300))
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_DAYS_AGO, "3"), cacheAgeMessage(t, t + 3 * 86_400))
        // A phone clock behind the server's: never "in the future".
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_JUST_NOW), cacheAgeMessage(t, t - 100))
    }

    @Test
    fun `typed serials and label codes are normalized`() {
        assertEquals("DS1234567", AddDeviceModel.normalize(" ds12 345-67 "))
    }
}
