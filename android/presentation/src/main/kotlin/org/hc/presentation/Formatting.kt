package org.hc.presentation

import java.util.Locale

/** The clock the screens read (seconds since the epoch); tests pass their own. */
fun interface Clock {
    fun nowUnix(): Long

    companion object {
        val System = Clock { java.lang.System.currentTimeMillis() / 1000 }
    }
}

/** The verification code in groups of four, for reading aloud: "60784413" -> "6078 4413". */
fun groupCode(code: String, groupSize: Int = 4): String = code.chunked(groupSize).joinToString(" ")

/** Seconds left until [expiresAtUnix], never negative. */
fun secondsLeft(expiresAtUnix: Long, nowUnix: Long): Long = (expiresAtUnix - nowUnix).coerceAtLeast(0)

/** A countdown as m:ss ("9:59", "0:05"); whole hours as h:mm:ss. */
fun countdownText(seconds: Long): String {
    val s = seconds.coerceAtLeast(0)
    val h = s / 3600; val m = (s % 3600) / 60; val sec = s % 60
    return if (h > 0) String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec) else String.format(Locale.ROOT, "%d:%02d", m, sec)
}

/** The countdown line of the code screen. */
fun countdownMessage(expiresAtUnix: Long, nowUnix: Long): UiMessage {
    val left = secondsLeft(expiresAtUnix, nowUnix)
    return if (left == 0L) UiMessage(MessageId.CODE_EXPIRED) else UiMessage(MessageId.CODE_VALID_FOR, countdownText(left))
}

/** "Updated 5 min ago" for a device list fetched at [fetchedAtUnix]. */
fun cacheAgeMessage(fetchedAtUnix: Long, nowUnix: Long): UiMessage {
    val age = (nowUnix - fetchedAtUnix).coerceAtLeast(0)
    return when {
        age < 60 -> UiMessage(MessageId.DEVICES_UPDATED_JUST_NOW)
        age < 3600 -> UiMessage(MessageId.DEVICES_UPDATED_MINUTES_AGO, age / 60)
        age < 86_400 -> UiMessage(MessageId.DEVICES_UPDATED_HOURS_AGO, age / 3600)
        else -> UiMessage(MessageId.DEVICES_UPDATED_DAYS_AGO, age / 86_400)
    }
}
