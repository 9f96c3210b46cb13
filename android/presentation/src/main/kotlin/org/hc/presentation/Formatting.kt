package org.hc.presentation

import org.hc.core.Countdown
import org.hc.core.DeviceListAge
import org.hc.core.deviceListAge

/** The clock the screens read (seconds since the epoch); tests pass their own. */
fun interface Clock {
    fun nowUnix(): Long

    companion object {
        val System = Clock { java.lang.System.currentTimeMillis() / 1000 }
    }
}

// The numbers and their format come from the core (org.hc.core.groupCode, countdown,
// deviceListAge); here they only become messages, whose words are in strings.xml.

/** The countdown line of the code screen: "Valid for 9:59", or "This code has expired". */
fun countdownMessage(countdown: Countdown): UiMessage =
    if (countdown.expired) UiMessage(MessageId.CODE_EXPIRED) else UiMessage(MessageId.CODE_VALID_FOR, countdown.text)

/** "Updated 5 min ago" for the core's age of the device list. */
fun DeviceListAge.toUiMessage(): UiMessage = when (this) {
    is DeviceListAge.JustNow -> UiMessage(MessageId.DEVICES_UPDATED_JUST_NOW)
    is DeviceListAge.Minutes -> UiMessage(MessageId.DEVICES_UPDATED_MINUTES_AGO, count)
    is DeviceListAge.Hours -> UiMessage(MessageId.DEVICES_UPDATED_HOURS_AGO, count)
    is DeviceListAge.Days -> UiMessage(MessageId.DEVICES_UPDATED_DAYS_AGO, count)
}

/** "Updated 5 min ago" for a device list fetched at [fetchedAtUnix]. */
fun cacheAgeMessage(fetchedAtUnix: Long, nowUnix: Long): UiMessage = deviceListAge(fetchedAtUnix, nowUnix).toUiMessage()
