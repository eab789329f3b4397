"""RSpace Inventory (``/api/inventory/v1``): samples, their subsamples, and where they are kept
(containers, each user's workbench). The rules of each resource are in the module named for it;
none imports HTTP."""
