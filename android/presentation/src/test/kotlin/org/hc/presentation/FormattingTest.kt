package org.hc.presentation

import kotlin.test.assertEquals
import org.hc.core.DeviceListAge
import org.hc.core.countdown
import org.hc.core.groupCode
import org.junit.jupiter.api.Test

/** The screens show the core's numbers (grouping, countdown, list age) in their own words. */
class FormattingTest {
    @Test
    fun `the code screen groups the code as the core does`() {
        assertEquals("6078 4413", groupCode("60784413"))
        assertEquals("123", groupCode("123"))
    }

    @Test
    fun `the countdown line shows the core's time left until the code has expired`() {
        assertEquals(UiMessage(MessageId.CODE_VALID_FOR, "1:01"), countdownMessage(countdown(1_000_061, 1_000_000)))
        assertEquals(UiMessage(MessageId.CODE_VALID_FOR, "1:00:00"), countdownMessage(countdown(1_003_600, 1_000_000)))
        assertEquals(UiMessage(MessageId.CODE_EXPIRED), countdownMessage(countdown(1_000_000, 1_000_000)))
        assertEquals(UiMessage(MessageId.CODE_EXPIRED), countdownMessage(countdown(1_000_000, 1_000_100)))
    }

    @Test
    fun `each device list age the core gives has its message`() {
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_JUST_NOW), DeviceListAge.JustNow.toUiMessage())
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_MINUTES_AGO, "5"), DeviceListAge.Minutes(5).toUiMessage())
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_HOURS_AGO, "2"), DeviceListAge.Hours(2).toUiMessage())
        assertEquals(UiMessage(MessageId.DEVICES_UPDATED_DAYS_AGO, "3"), DeviceListAge.Days(3).toUiMessage())
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
}
