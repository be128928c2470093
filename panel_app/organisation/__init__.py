"""The organisation behind the site: name per language, logo, contact, colours, data controller."""
