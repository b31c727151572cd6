// The open department is kept in the URL hash (#/billing) so reloads and the back button keep the customer's place.

export function openDepartment(department: string | null): void {
  const target = department ? `#/${department}` : '';
  if (window.location.hash === target || (!department && !window.location.hash)) return;
  if (department) {
    window.location.hash = `/${department}`;
    return;
  }
  history.pushState(null, '', window.location.pathname + window.location.search);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Moves the page to another department in place of the current one (a transfer: Back does not return to it). */
export function replaceDepartment(department: string): void {
  if (window.location.hash === `#/${department}`) return;
  history.replaceState(
    history.state,
    '',
    `${window.location.pathname}${window.location.search}#/${department}`,
  );
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
