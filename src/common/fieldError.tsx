/**
 * The one way a form says what is wrong with a field, under the field.
 */
import React from 'react';

/**
 * A field's error text. With an `id` it is always rendered (empty when the
 * field is fine) so the input's `aria-describedby` never points at nothing.
 */
export function FieldError(props: {
  id?: string;
  message?: string | null;
}): JSX.Element | null {
  if (!props.message && !props.id) {
    return null;
  }
  return (
    <div id={props.id} className="jp-EnvManager-fieldError" role="alert">
      {props.message ?? ''}
    </div>
  );
}
