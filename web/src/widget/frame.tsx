// The widget frame's entry (served at /widget/frame?site=<id>, framed by the site's origins only).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { FrameApp } from './FrameApp';
import '@support-chat/client-ui/styles.css';
import '../styles.css';
import './widget.css';

const site = new URLSearchParams(window.location.search).get('site') ?? '';
const root = document.getElementById('root');
if (root && /^[a-z][a-z0-9-]{1,31}$/.test(site)) {
  createRoot(root).render(
    <StrictMode>
      <FrameApp siteId={site} />
    </StrictMode>,
  );
}
