'use strict';
// A counter PC (1366×768) needs the width for lists: the admin's navigation sidebar
// starts closed below 1600 px until the user opens it (Django's nav_sidebar.js, which
// runs after this script, remembers the choice).
{
    const key = 'django.admin.navSidebarIsOpen';
    if (localStorage.getItem(key) === null && window.innerWidth < 1600) {
        localStorage.setItem(key, 'false');
    }
}
