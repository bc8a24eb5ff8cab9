// A labelled form field with its validation message beside it (aria-describedby), as the API's
// field violations name it.
import type { ComponentChildren } from "preact";

export function Field({ id, label, error, children }: { id: string; label: string; error?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {error && (
        <p id={`${id}-error`} class="error">
          {error}
        </p>
      )}
    </div>
  );
}

// The attributes that tie an input to its message.
export function invalid(id: string, error?: string) {
  return error ? { "aria-invalid": "true" as const, "aria-describedby": `${id}-error` } : {};
}
