package dev.notiflow.testkit.providers.fcm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One message as the mock FCM provider received it, so tests can assert the platform config
 * (android priority, webpush headers), data and notification the client sent.
 *
 * @param token the registration token, or {@code null} when the request named none
 * @param message the {@code message} object of the request
 * @param status the HTTP status the mock answered
 */
public record FcmMessage(String token, JsonNode message, int status) {}
