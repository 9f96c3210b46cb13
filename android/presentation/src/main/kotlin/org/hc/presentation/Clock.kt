package org.hc.presentation

/** The clock the screens read (milliseconds since the epoch); tests pass their own. */
fun interface Clock {
    fun nowMillis(): Long

    /** Whole seconds since the epoch. */
    fun nowUnix(): Long = nowMillis() / 1000

    companion object {
        val System = Clock { java.lang.System.currentTimeMillis() }
    }
}
