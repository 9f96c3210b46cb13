package org.hc.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.util.Base64
import java.security.KeyStore
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.hc.core.SecureStore
import org.hc.core.StoreException

/**
 * The core's [SecureStore] on Android: an AES-256/GCM key that never leaves the Android Keystore
 * encrypts each value; SharedPreferences keeps `base64(iv || ciphertext)`. The entry's key name is
 * the GCM associated data, so a value cannot be moved to another entry.
 *
 * A value that can never be decrypted again (the Keystore key was lost or replaced: a restore to
 * another phone, a Keystore reset, a corrupt entry) reads as absent and is dropped, so the user logs
 * in again instead of the core failing at every start.
 */
class KeystoreSecureStore(context: Context) : SecureStore {
    private val prefs = context.getSharedPreferences("hc-secure-store", Context.MODE_PRIVATE)

    private fun secretKey(): SecretKey {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        try {
            (keyStore.getKey(KEY_ALIAS, null) as? SecretKey)?.let { return it }
        } catch (e: UnrecoverableKeyException) {
            keyStore.deleteEntry(KEY_ALIAS) // unusable: replace it (its values read as absent below)
        }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private inline fun <T> guarded(what: String, block: () -> T): T =
        try {
            block()
        } catch (e: Exception) {
            // The exception's class only: messages may quote data.
            throw StoreException.Failed("$what: ${e.javaClass.simpleName}")
        }

    override fun get(key: String): String? = guarded("get") {
        val stored = prefs.getString(key, null) ?: return@guarded null
        val blob = try {
            Base64.decode(stored, Base64.NO_WRAP)
        } catch (e: IllegalArgumentException) {
            null
        }
        if (blob == null || blob.size < IV_BYTES + TAG_BITS / 8) return@guarded forget(key)
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            cipher.init(Cipher.DECRYPT_MODE, secretKey(), GCMParameterSpec(TAG_BITS, blob, 0, IV_BYTES))
            cipher.updateAAD(key.toByteArray())
            String(cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES), Charsets.UTF_8)
        } catch (e: AEADBadTagException) {
            forget(key) // encrypted under a key that no longer exists, or altered
        } catch (e: KeyPermanentlyInvalidatedException) {
            forget(key)
        }
    }

    override fun set(key: String, value: String) = guarded("set") {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, secretKey()) // the Keystore picks a fresh random IV
        cipher.updateAAD(key.toByteArray())
        val blob = cipher.iv + cipher.doFinal(value.toByteArray(Charsets.UTF_8))
        check(prefs.edit().putString(key, Base64.encodeToString(blob, Base64.NO_WRAP)).commit()) { "commit" }
    }

    override fun delete(key: String) = guarded("delete") {
        check(prefs.edit().remove(key).commit()) { "commit" }
    }

    private fun forget(key: String): String? {
        prefs.edit().remove(key).commit()
        return null
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val KEY_ALIAS = "hc-secure-store"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}
