package org.hc.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The platform services the app hands to the core: secure storage and logging, in Kotlin. */
class ForeignTraitsTest {
    @Test
    fun `the session lives in the platform's secure store and survives a restart`() = coTest {
        val account = Rig.newAccount()
        assertTrue(account.store.entries.isNotEmpty(), "the tokens are in the secure store")
        assertTrue(account.store.entries.values.none { it.contains(account.password) }, "no password is stored")

        // The app restarts: a new client on the same store is logged in without a password.
        val restarted = Rig.client(account.store)
        assertTrue(restarted.isLoggedIn())
        assertTrue(restarted.devices(true).devices.isEmpty())

        restarted.logout()
        assertFalse(restarted.isLoggedIn())
        assertFalse(Rig.client(account.store).isLoggedIn(), "logout clears the stored session")
        assertFailsWith<HcException.NotLoggedIn> { restarted.devices(true) }
    }

    @Test
    fun `a failing secure store is a storage error`() = coTest {
        val store = MemoryStore()
        val account = Rig.newAccount(store)
        store.failing = true
        val email = account.email
        val error = assertFailsWith<HcException.Storage> { Rig.client(store).login(email, account.password) }
        assertTrue(error.detail.contains("keystore locked"), error.detail)
    }

    @Test
    fun `the core logs through the platform logger without secrets`() = coTest {
        val account = Rig.newAccount()
        account.client.devices(true)
        val lines = Rig.logger.snapshot()
        assertTrue(lines.any { it.target.startsWith("hc_core") }, "core log lines reach Kotlin: $lines")
        val secrets = listOf(account.password) + account.store.entries.values.flatMap { tokensIn(it) }
        for (line in lines) for (secret in secrets) {
            assertFalse(line.message.contains(secret), "a secret in the log: ${line.target} ${line.message}")
        }
    }

    @Test
    fun `a wrong password is a typed server error`() = coTest {
        val account = Rig.newAccount()
        val error = assertFailsWith<HcException.Server> { Rig.client().login(account.email, "wrong-password-123") }
        assertEquals(401.toUShort(), error.status)
        assertEquals(ErrorCode.INVALID_CREDENTIALS, error.code)
    }

    private fun tokensIn(json: String): List<String> =
        Regex("\"(access_token|refresh_token)\"\\s*:\\s*\"([^\"]+)\"").findAll(json).map { it.groupValues[2] }.toList()
}
