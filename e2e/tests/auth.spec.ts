import { expect, registerCustomer, test, uniqueName } from '../fixtures';

test.describe('customer account', () => {
  test('registers, logs out, logs back in, and a reload keeps the session', async ({ page, server }) => {
    const { username, password } = await registerCustomer(page, server);
    await expect(page.getByText(username, { exact: true })).toBeVisible();

    // Nothing secret in web storage: the refresh token lives in an HttpOnly cookie only.
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(storage).toBe('{}');
    const cookies = await page.context().cookies();
    for (const cookie of cookies) {
      if (/refresh/i.test(cookie.name)) expect(cookie.httpOnly).toBe(true);
    }
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/refresh/i);

    await page.reload();
    await expect(page.getByRole('button', { name: 'Billing Support', exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();

    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await expect(page.getByText('You have logged out.')).toBeVisible();
    // The session is over on the server too: a reload lands on the login form.
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();

    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Technical Support', exact: true })).toBeVisible();
  });

  test('shows the server’s validation errors next to the fields', async ({ page, server }) => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('a b');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create an account' }).click();

    await expect(page.getByRole('alert')).toContainText('Please fix the fields marked below');
    const username = page.getByLabel('Username');
    await expect(username).toHaveAttribute('aria-invalid', 'true');
    await expect(username).toHaveAccessibleDescription(/Username/);
    await expect(page.getByLabel('Email')).toHaveAccessibleDescription(/Email must be an email address/);
    await expect(page.getByLabel('Password')).toHaveAccessibleDescription(
      /Password must be at least 8 characters/,
    );
  });

  test('an empty form is explained before anything is sent', async ({ page, server }) => {
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByLabel('Username')).toHaveAccessibleDescription('Enter your username.');
    await expect(page.getByLabel('Password')).toHaveAccessibleDescription('Enter your password.');
    await expect(page.getByLabel('Username')).toBeFocused();
  });

  test('a taken username and a wrong password read clearly', async ({ page, browser, server }) => {
    const { username } = await registerCustomer(page, server);

    const other = await browser.newPage();
    await other.goto(server.url);
    await other.getByRole('button', { name: 'Create an account' }).click();
    await other.getByLabel('Username').fill(username);
    await other.getByLabel('Email').fill(`${uniqueName('x')}@example.test`);
    await other.getByLabel('Password').fill('long enough password');
    await other.getByRole('button', { name: 'Create an account' }).click();
    await expect(other.getByLabel('Username')).toHaveAccessibleDescription(/already taken/);

    await other.getByRole('button', { name: 'Log in' }).click();
    await other.getByLabel('Username').fill(username);
    await other.getByLabel('Password').fill('not the password');
    await other.getByRole('button', { name: 'Log in' }).click();
    await expect(other.getByRole('alert')).toHaveText('Wrong username or password.');
    await other.close();
  });

  test('logging out in another tab ends this one with a clear message', async ({ page, server }) => {
    await registerCustomer(page, server);
    await expect(page.getByTestId('connection-state')).toHaveText('Connected');
    const other = await page.context().newPage();
    await other.goto(server.url);
    await other.getByRole('button', { name: 'Log out' }).click();
    await expect(other.getByRole('heading', { name: 'Log in' })).toBeVisible();

    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await expect(page.getByText('Your session has expired. Please log in again.')).toBeVisible();
    await other.close();
  });
});
