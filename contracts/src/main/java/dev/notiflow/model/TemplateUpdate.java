package dev.notiflow.model;

/**
 * One record of {@code notification-templates}: a new version of the template stored under {@code
 * key}, or its deletion (a tombstone).
 *
 * @param key {@code templateId:locale}
 * @param template the new version, or {@code null} when the template is deleted
 */
public record TemplateUpdate(String key, NotificationTemplate template) {

    /** Whether this update deletes the template. */
    public boolean isDeletion() {
        return template == null;
    }
}
