"""Test support for systems built on edocstd, and for edocstd's own tests.

* :mod:`edocstd.testing.plugin`: the pytest plugin (fixtures ``edoc_pki``, ``edoc_signer``,
  ``edoc_trust``, ``edoc_tsa``, ``edoc_ocsp``, ``edoc_crls``, ``edoc_document`` …), active in
  any pytest run once edocstd is installed;
* :mod:`edocstd.testing.assertions`: ``assert_valid``, ``assert_invalid``,
  ``assert_verifies`` and ``assert_fails_verification``, which print the whole report when
  they fail;
* :mod:`edocstd.testing.strategies`: hypothesis strategies drawing valid EDOC documents;
* :mod:`edocstd.testing.pki`, :mod:`edocstd.testing.services`: a throw-away PKI and real
  loopback time-stamping, OCSP and CRL services;
* :mod:`edocstd.testing.samples`: a realistic sample licence.

Nothing here is for production: the keys are generated without protection.
"""
