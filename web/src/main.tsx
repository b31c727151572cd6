import { ChatClient } from '@support-chat/protocol/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import '@support-chat/client-ui/styles.css';
import './styles.css';

// Same origin as the page; the refresh token stays in the server's HttpOnly cookie, never in web storage.
const client = new ChatClient({ baseUrl: '', tokenTransport: 'cookie' });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
