package dev.notiflow.model;

/**
 * What a push notification needs of one of the user's device registrations: the token, the platform
 * (which picks APNs or FCM) and the app.
 */
public record PushDevice(String token, Platform platform, String appId) {}
