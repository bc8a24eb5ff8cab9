// After a write the view reads its record again, and the control that made the write may be gone
// (a transition's button once the state moved on, a deleted relationship's row, an edit form
// rebuilt on the new version): the focus would fall back to the page's start. When `version`
// changes from one read to the next (not on the first read: main.tsx focuses a new view's
// heading) and the focus was lost, this puts it on the first of `ids` that exists — a heading
// with tabIndex -1 near what changed. On a live page (`live`: a colleague's change moves the
// version too) the page is not scrolled to it: a reader who had clicked nowhere stays where they
// were.
import { useEffect, useRef } from "preact/hooks";

export function useKeepFocus(version: string | undefined, ids: string[], live = false) {
  const previous = useRef(version);
  useEffect(() => {
    const before = previous.current;
    previous.current = version;
    if (before === undefined || version === undefined || before === version) return;
    const active = document.activeElement;
    if (active && active !== document.body) return;
    for (const id of ids) {
      const target = document.getElementById(id);
      if (target) {
        target.focus({ preventScroll: live });
        return;
      }
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
}
